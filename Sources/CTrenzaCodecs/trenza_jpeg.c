#include <limits.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "codecs_internal.h"

// libjpeg's default error_exit prints and calls exit(); ours formats the message and longjmps to
// the setjmp of the public function that is running. Warnings are collected rather than printed.
// A file cut short only draws a warning (libjpeg pads it with grey): that one fails the decode.
// Other warnings (stray bytes before a marker, as some cameras write) are tolerated, as Pillow
// tolerates them.
struct error_manager {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int truncated;
    int over_limit;
    int timed_out;
};

static void error_exit(j_common_ptr cinfo) {
    struct error_manager *errors = (struct error_manager *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, errors->message);
    longjmp(errors->jump, 1);
}

static void emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;  // trace messages
    struct error_manager *errors = (struct error_manager *)cinfo->err;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) errors->truncated = 1;
    cinfo->err->num_warnings++;
}

static void output_nothing(j_common_ptr cinfo) { (void)cinfo; }

static void install_error_manager(struct error_manager *errors) {
    jpeg_std_error(&errors->pub);
    errors->pub.error_exit = error_exit;
    errors->pub.emit_message = emit_message;
    errors->pub.output_message = output_nothing;
}

static int warned_of_truncation(const struct error_manager *errors) {
    return errors->truncated;
}

// MARK: Decoding

static int exif_orientation(struct jpeg_decompress_struct *cinfo);

enum colour_handling { COPY_ROWS, CMYK_TO_RGB };

struct trenza_jpeg_decoder {
    struct jpeg_decompress_struct cinfo;
    struct error_manager errors;
    struct jpeg_progress_mgr progress;
    enum colour_handling handling;
    int channels;
    int created;
    uint64_t deadline_ns;
};

// MARK: Resource limits

// A progressive file can repeat a scan without end, and every scan is a pass over all the image's
// blocks however few bytes it has: 2,000 copies of the 3-byte last scan of a flat 1024×1024 image
// took 12 s, of a 165 KB photo's 45 s. Encoders write about ten scans (libjpeg's and Pillow's
// progressive script: 10 for colour, 6 for grey; mozjpeg and Photoshop fewer than 20), so 100
// leaves room for any real file while holding a hostile one to about ten times the work of a
// real progressive file of its size (which the pixel limit bounds). libjpeg-turbo's own guard
// (djpeg -maxscans, TurboJPEG's scan limit) allows 500: fifty times.
#define MAX_SCANS 100

static void check_limits(j_common_ptr common) {
    struct jpeg_decompress_struct *cinfo = (struct jpeg_decompress_struct *)common;
    struct error_manager *errors = (struct error_manager *)common->err;
    // The decompressor is the decoder's first member.
    if (trenza_past_deadline(((struct trenza_jpeg_decoder *)cinfo)->deadline_ns)) {
        errors->timed_out = 1;
        snprintf(errors->message, sizeof errors->message, "decoding ran past its deadline");
        longjmp(errors->jump, 1);
    }
    if (cinfo->input_scan_number <= MAX_SCANS) return;
    errors->over_limit = 1;
    snprintf(errors->message, sizeof errors->message,
             "JPEG has more than %d scans (a hostile or broken file)", MAX_SCANS);
    longjmp(errors->jump, 1);
}

// libjpeg's largest allocation is the whole-image coefficient buffer of a progressive (or
// multi-scan) file: two bytes a sample. Capping its memory at what a file of the header's size
// needs, plus room for tables and row buffers, keeps a file from making libjpeg take more than its
// size (already checked against the caller's pixel limit) implies.
static void limit_resources(struct trenza_jpeg_decoder *decoder) {
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    decoder->progress.progress_monitor = check_limits;
    cinfo->progress = &decoder->progress;
    // Padded to whole 8×8 blocks at the largest sampling factor (4), as libjpeg allocates them.
    uint64_t padded_width = ((uint64_t)cinfo->image_width + 31) / 32 * 32;
    uint64_t padded_height = ((uint64_t)cinfo->image_height + 31) / 32 * 32;
    uint64_t need = padded_width * padded_height * (uint64_t)cinfo->num_components * 2 +
                    64ull * 1024 * 1024;
    cinfo->mem->max_memory_to_use = need > (uint64_t)LONG_MAX ? LONG_MAX : (long)need;
}

static trenza_codec_code report_error(struct trenza_jpeg_decoder *decoder,
                                      trenza_codec_status *status) {
    if (decoder->errors.timed_out) {
        trenza_status_set(status, TRENZA_CODEC_TIMED_OUT, "%s", decoder->errors.message);
        return TRENZA_CODEC_TIMED_OUT;
    }
    if (decoder->errors.over_limit) {
        trenza_status_set(status, TRENZA_CODEC_OVER_LIMIT, "%s", decoder->errors.message);
        return TRENZA_CODEC_OVER_LIMIT;
    }
    // Past max_memory_to_use, libjpeg asks for a temporary file ("backing store"), which this
    // build of it cannot make.
    if (decoder->errors.pub.msg_code == JERR_NO_BACKING_STORE) {
        trenza_status_set(status, TRENZA_CODEC_OVER_LIMIT,
                          "JPEG needs more memory than its size allows (a hostile or broken file)");
        return TRENZA_CODEC_OVER_LIMIT;
    }
    // A file cut short makes libjpeg warn first and then, when it was cut inside the headers,
    // fail on the fake end-of-image marker it inserted: the cut is what the user needs to know.
    if (warned_of_truncation(&decoder->errors)) {
        trenza_status_set(status, TRENZA_CODEC_TRUNCATED, "premature end of data");
        return TRENZA_CODEC_TRUNCATED;
    }
    trenza_status_set(status, TRENZA_CODEC_CORRUPT, "%s", decoder->errors.message);
    return TRENZA_CODEC_CORRUPT;
}

void trenza_jpeg_decoder_set_deadline(trenza_jpeg_decoder *decoder, uint64_t monotonic_ns) {
    decoder->deadline_ns = monotonic_ns;
}

void trenza_jpeg_decoder_close(trenza_jpeg_decoder *decoder) {
    if (decoder == NULL) return;
    if (decoder->created) jpeg_destroy_decompress(&decoder->cinfo);
    free(decoder);
}

trenza_jpeg_decoder *trenza_jpeg_decoder_open(const uint8_t *data, size_t size,
                                              trenza_image_info *info,
                                              trenza_codec_status *status) {
    trenza_status_ok(status);
    struct trenza_jpeg_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) {
        trenza_status_set(status, TRENZA_CODEC_NO_MEMORY, "out of memory");
        return NULL;
    }
    decoder->cinfo.err = &decoder->errors.pub;
    install_error_manager(&decoder->errors);
    if (setjmp(decoder->errors.jump)) {
        report_error(decoder, status);
        trenza_jpeg_decoder_close(decoder);
        return NULL;
    }
    jpeg_create_decompress(&decoder->cinfo);
    decoder->created = 1;
    jpeg_mem_src(&decoder->cinfo, data, (unsigned long)size);
    jpeg_save_markers(&decoder->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&decoder->cinfo, TRUE);
    limit_resources(decoder);

    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        decoder->channels = 1;
        decoder->handling = COPY_ROWS;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo->out_color_space = JCS_RGB;
        decoder->channels = 3;
        decoder->handling = COPY_ROWS;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        // libjpeg turns YCCK into CMYK; the CMYK to RGB step is ours, done like Pillow's.
        cinfo->out_color_space = JCS_CMYK;
        decoder->channels = 3;
        decoder->handling = CMYK_TO_RGB;
        break;
    default:
        trenza_status_set(status, TRENZA_CODEC_UNSUPPORTED,
                          "%d colour components in an unknown colour space",
                          cinfo->num_components);
        trenza_jpeg_decoder_close(decoder);
        return NULL;
    }
    // Pillow leaves these at libjpeg's defaults as well; spelled out because the decoded values
    // depend on them and must match Pillow's.
    cinfo->dct_method = JDCT_ISLOW;
    cinfo->do_fancy_upsampling = TRUE;
    cinfo->scale_num = 1;
    cinfo->scale_denom = 1;

    info->width = cinfo->image_width;
    info->height = cinfo->image_height;
    info->channels = decoder->channels;
    info->orientation = exif_orientation(cinfo);
    return decoder;
}

trenza_codec_code trenza_jpeg_decoder_scale(trenza_jpeg_decoder *decoder, int denominator,
                                            trenza_image_info *info, trenza_codec_status *status) {
    trenza_status_ok(status);
    if (denominator != 1 && denominator != 2 && denominator != 4 && denominator != 8) {
        trenza_status_set(status, TRENZA_CODEC_INVALID_ARGUMENT, "scale 1/%d", denominator);
        return TRENZA_CODEC_INVALID_ARGUMENT;
    }
    if (setjmp(decoder->errors.jump)) return report_error(decoder, status);
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    cinfo->scale_num = 1;
    cinfo->scale_denom = (unsigned)denominator;
    jpeg_calc_output_dimensions(cinfo);
    info->width = cinfo->output_width;
    info->height = cinfo->output_height;
    return TRENZA_CODEC_OK;
}

// The Orientation tag (0x0112) of IFD0 in the first APP1 segment that starts "Exif\0\0", the one
// Pillow's exif_transpose reads; 1 (as is) for anything missing, short or out of range.
static unsigned read_tiff16(const JOCTET *p, int big_endian) {
    return big_endian ? (unsigned)(p[0] << 8 | p[1]) : (unsigned)(p[1] << 8 | p[0]);
}

static unsigned long read_tiff32(const JOCTET *p, int big_endian) {
    return big_endian ? (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3]
                      : (unsigned long)p[3] << 24 | (unsigned long)p[2] << 16 | (unsigned long)p[1] << 8 | p[0];
}

static int exif_orientation(struct jpeg_decompress_struct *cinfo) {
    for (jpeg_saved_marker_ptr marker = cinfo->marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker != JPEG_APP0 + 1 || marker->data_length < 6 ||
            memcmp(marker->data, "Exif\0\0", 6) != 0)
            continue;
        const JOCTET *tiff = marker->data + 6;
        size_t size = marker->data_length - 6;
        if (size < 8) return 1;
        int big_endian;
        if (tiff[0] == 'I' && tiff[1] == 'I') big_endian = 0;
        else if (tiff[0] == 'M' && tiff[1] == 'M') big_endian = 1;
        else return 1;
        unsigned long ifd = read_tiff32(tiff + 4, big_endian);
        if (ifd > size - 2) return 1;
        unsigned entries = read_tiff16(tiff + ifd, big_endian);
        for (unsigned i = 0; i < entries; i++) {
            size_t at = ifd + 2 + (size_t)i * 12;
            if (at + 12 > size) return 1;
            const JOCTET *entry = tiff + at;
            if (read_tiff16(entry, big_endian) != 0x0112) continue;
            unsigned type = read_tiff16(entry + 2, big_endian);
            unsigned long value;
            if (type == 3) value = read_tiff16(entry + 8, big_endian);
            else if (type == 4) value = read_tiff32(entry + 8, big_endian);
            else return 1;
            return value >= 1 && value <= 8 ? (int)value : 1;
        }
        return 1;
    }
    return 1;
}

// Pillow reads Adobe CMYK JPEGs as inverted ("CMYK;I") and converts to RGB with
// R = (255 − K) − (C·(255 − K))/255, rounded with its MULDIV255. In terms of the stored
// (inverted) samples c, k that is k − ((255 − c)·k)/255.
static inline uint8_t multiply_divide_255(unsigned a, unsigned b) {
    unsigned product = a * b + 128;
    return (uint8_t)(((product >> 8) + product) >> 8);
}

static void cmyk_row_to_rgb(const JSAMPLE *in, uint8_t *out, JDIMENSION width) {
    for (JDIMENSION x = 0; x < width; x++, in += 4, out += 3) {
        unsigned not_k = in[3];  // 255 − K of the un-inverted value
        out[0] = (uint8_t)(not_k - multiply_divide_255(255u - in[0], not_k));
        out[1] = (uint8_t)(not_k - multiply_divide_255(255u - in[1], not_k));
        out[2] = (uint8_t)(not_k - multiply_divide_255(255u - in[2], not_k));
    }
}

trenza_codec_code trenza_jpeg_decoder_read(trenza_jpeg_decoder *decoder, uint8_t *pixels,
                                           size_t capacity, trenza_codec_status *status) {
    trenza_status_ok(status);
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    JDIMENSION width = cinfo->image_width, height = cinfo->image_height;
    if (cinfo->scale_denom > 1) {
        width = (width + cinfo->scale_denom - 1) / cinfo->scale_denom;
        height = (height + cinfo->scale_denom - 1) / cinfo->scale_denom;
    }
    size_t stride = (size_t)width * decoder->channels;
    if (height != 0 && stride > capacity / height) {
        trenza_status_set(status, TRENZA_CODEC_INVALID_ARGUMENT,
                          "pixel buffer of %zu bytes is too small", capacity);
        return TRENZA_CODEC_INVALID_ARGUMENT;
    }
    if (setjmp(decoder->errors.jump)) return report_error(decoder, status);
    // Starting decompression allocates whole-image coefficient buffers for progressive files, so
    // it belongs here, after the caller has checked the size, and not in open.
    JDIMENSION expected_width = cinfo->image_width, expected_height = cinfo->image_height;
    if (cinfo->scale_denom > 1) {
        expected_width = (cinfo->image_width + cinfo->scale_denom - 1) / cinfo->scale_denom;
        expected_height = (cinfo->image_height + cinfo->scale_denom - 1) / cinfo->scale_denom;
    }
    jpeg_start_decompress(cinfo);
    if (cinfo->output_width != expected_width || cinfo->output_height != expected_height ||
        cinfo->output_components != (decoder->handling == CMYK_TO_RGB ? 4 : decoder->channels)) {
        trenza_status_set(status, TRENZA_CODEC_UNSUPPORTED, "unexpected output layout");
        return TRENZA_CODEC_UNSUPPORTED;
    }

    JSAMPARRAY cmyk_row = NULL;
    if (decoder->handling == CMYK_TO_RGB)
        cmyk_row = (*cinfo->mem->alloc_sarray)((j_common_ptr)cinfo, JPOOL_IMAGE,
                                               cinfo->output_width * 4, 1);
    while (cinfo->output_scanline < cinfo->output_height) {
        uint8_t *row = pixels + (size_t)cinfo->output_scanline * stride;
        if (cmyk_row != NULL) {
            jpeg_read_scanlines(cinfo, cmyk_row, 1);
            cmyk_row_to_rgb(cmyk_row[0], row, cinfo->output_width);
        } else {
            JSAMPROW rows[1] = {row};
            jpeg_read_scanlines(cinfo, rows, 1);
        }
    }
    jpeg_finish_decompress(cinfo);
    if (warned_of_truncation(&decoder->errors)) {
        trenza_status_set(status, TRENZA_CODEC_TRUNCATED, "premature end of data");
        return TRENZA_CODEC_TRUNCATED;
    }
    return TRENZA_CODEC_OK;
}

// MARK: Encoding

// A destination that grows a trenza_codec_buffer, so that on failure there is exactly one block
// to free (jpeg_mem_dest keeps its own pointers that an error would leave dangling).
struct buffer_destination {
    struct jpeg_destination_mgr pub;
    trenza_codec_buffer *out;
    JOCTET chunk[16384];
};

static void start_destination(j_compress_ptr cinfo) {
    struct buffer_destination *destination = (struct buffer_destination *)cinfo->dest;
    destination->pub.next_output_byte = destination->chunk;
    destination->pub.free_in_buffer = sizeof destination->chunk;
}

static boolean empty_destination(j_compress_ptr cinfo) {
    struct buffer_destination *destination = (struct buffer_destination *)cinfo->dest;
    // libjpeg calls this with the whole chunk full, whatever free_in_buffer says.
    if (!trenza_buffer_append(destination->out, destination->chunk, sizeof destination->chunk))
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    destination->pub.next_output_byte = destination->chunk;
    destination->pub.free_in_buffer = sizeof destination->chunk;
    return TRUE;
}

static void finish_destination(j_compress_ptr cinfo) {
    struct buffer_destination *destination = (struct buffer_destination *)cinfo->dest;
    size_t used = sizeof destination->chunk - destination->pub.free_in_buffer;
    if (!trenza_buffer_append(destination->out, destination->chunk, used))
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
}

struct jpeg_encoder {
    struct jpeg_compress_struct cinfo;
    struct error_manager errors;
    struct buffer_destination destination;
};

trenza_codec_code trenza_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height,
                                     int channels, int quality, trenza_codec_buffer *out,
                                     trenza_codec_status *status) {
    trenza_status_ok(status);
    *out = (trenza_codec_buffer){0};
    if (channels != 1 && channels != 3) {
        trenza_status_set(status, TRENZA_CODEC_INVALID_ARGUMENT, "%d channels", channels);
        return TRENZA_CODEC_INVALID_ARGUMENT;
    }
    // The encoder state is large (a 16 KiB output chunk) and setjmp-safe on the heap.
    struct jpeg_encoder *encoder = calloc(1, sizeof *encoder);
    if (encoder == NULL) {
        trenza_status_set(status, TRENZA_CODEC_NO_MEMORY, "out of memory");
        return TRENZA_CODEC_NO_MEMORY;
    }
    struct jpeg_compress_struct *cinfo = &encoder->cinfo;
    cinfo->err = &encoder->errors.pub;
    install_error_manager(&encoder->errors);
    if (setjmp(encoder->errors.jump)) {
        trenza_status_set(status, TRENZA_CODEC_INVALID_ARGUMENT, "%s", encoder->errors.message);
        jpeg_destroy_compress(cinfo);
        free(encoder);
        trenza_codec_buffer_free(out);
        return TRENZA_CODEC_INVALID_ARGUMENT;
    }
    jpeg_create_compress(cinfo);
    encoder->destination.out = out;
    encoder->destination.pub.init_destination = start_destination;
    encoder->destination.pub.empty_output_buffer = empty_destination;
    encoder->destination.pub.term_destination = finish_destination;
    cinfo->dest = &encoder->destination.pub;

    cinfo->image_width = width;
    cinfo->image_height = height;
    cinfo->input_components = channels;
    cinfo->in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    // jpeg_set_defaults picks YCbCr with 2×2 luma sampling, i.e. 4:2:0, Pillow's default too.
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    cinfo->dct_method = JDCT_ISLOW;
    jpeg_start_compress(cinfo, TRUE);
    size_t stride = (size_t)width * channels;
    while (cinfo->next_scanline < cinfo->image_height) {
        // libjpeg's API is not const-correct; it only reads the rows.
        JSAMPROW rows[1] = {(JSAMPROW)(pixels + (size_t)cinfo->next_scanline * stride)};
        jpeg_write_scanlines(cinfo, rows, 1);
    }
    jpeg_finish_compress(cinfo);
    jpeg_destroy_compress(cinfo);
    free(encoder);
    return TRENZA_CODEC_OK;
}
