#ifndef TRENZA_CODECS_H
#define TRENZA_CODECS_H

// A thin C layer over libpng and libjpeg for TrenzaImaging. Both libraries report errors by
// longjmp (libjpeg's default handler even calls exit()), which Swift cannot survive, so every
// function here catches the library's error inside C and returns a status instead: no call ever
// longjmps into Swift, aborts or exits.
//
// Decoding is split in two steps, open (header only) and read (pixels), so that the caller can
// check the image size against its pixel limit and allocate the destination itself before any
// pixel memory is committed.

#include <stddef.h>
#include <stdint.h>

/// What went wrong, if anything; `TRENZA_CODEC_OK` is zero.
typedef enum trenza_codec_code {
    TRENZA_CODEC_OK = 0,
    /// The data is malformed; the message is the library's.
    TRENZA_CODEC_CORRUPT = 1,
    /// The data ends before the image does.
    TRENZA_CODEC_TRUNCATED = 2,
    /// Well-formed, but a kind of image the shim does not handle (message says which).
    TRENZA_CODEC_UNSUPPORTED = 3,
    TRENZA_CODEC_NO_MEMORY = 4,
    /// The caller passed something inconsistent (a bug on the Swift side, not in the file).
    TRENZA_CODEC_INVALID_ARGUMENT = 5,
    /// The header claims more pixels than the caller allows; `info` holds the claimed size.
    TRENZA_CODEC_TOO_MANY_PIXELS = 6,
    /// The file would cost more time or memory than a sane image needs (message says which):
    /// a hostile or broken file.
    TRENZA_CODEC_OVER_LIMIT = 7,
    /// Decoding passed the deadline its caller set (see `trenza_*_decoder_set_deadline`).
    TRENZA_CODEC_TIMED_OUT = 8,
} trenza_codec_code;

/// The outcome of a call: a code and, unless OK, a NUL-terminated message without a trailing
/// newline (libpng's or libjpeg's own text when it comes from the library).
typedef struct trenza_codec_status {
    trenza_codec_code code;
    char message[240];
} trenza_codec_status;

/// The size and decoded layout of an image, known after its header has been read.
typedef struct trenza_image_info {
    uint32_t width;
    uint32_t height;
    /// Bands per decoded pixel: 1 (grey), 3 (RGB) or 4 (RGBA). The shim has already mapped the
    /// file's colour type to one of these (palette to RGB/RGBA, grey+alpha to RGBA, CMYK to RGB).
    int channels;
    /// The EXIF Orientation (1…8) of a JPEG's first APP1 "Exif" segment; 1 when there is none or
    /// it is not a SHORT or LONG in 1…8, and always 1 for PNG.
    int orientation;
} trenza_image_info;

/// Bytes produced by an encoder; release with `trenza_codec_buffer_free`.
typedef struct trenza_codec_buffer {
    uint8_t *data;
    size_t size;
    size_t capacity;
} trenza_codec_buffer;

void trenza_codec_buffer_free(trenza_codec_buffer *buffer);

/// The libjpeg version the shim was compiled against (JPEG_LIB_VERSION), e.g. 62.
int trenza_codecs_jpeg_lib_version(void);

/// The libpng version string the shim is linked with, e.g. "1.6.39".
const char *trenza_codecs_png_version(void);

// MARK: PNG

typedef struct trenza_png_decoder trenza_png_decoder;

/// Reads the PNG header from `data` (which must stay valid until the decoder is closed) and sets
/// up the conversion to 8-bit L, RGB or RGBA. Returns NULL and fills `status` on failure; an
/// image of more than `max_pixels` pixels fails with TRENZA_CODEC_TOO_MANY_PIXELS and its size
/// in `info`, before libpng allocates anything for it.
trenza_png_decoder *trenza_png_decoder_open(const uint8_t *data, size_t size, uint64_t max_pixels,
                                            trenza_image_info *info, trenza_codec_status *status);

/// Decodes all pixels into `pixels` (rows of width × channels bytes, no padding) and checks the
/// rest of the file up to IEND. Returns the status code.
trenza_codec_code trenza_png_decoder_read(trenza_png_decoder *decoder, uint8_t *pixels,
                                          size_t capacity, trenza_codec_status *status);

void trenza_png_decoder_close(trenza_png_decoder *decoder);

/// Makes `trenza_png_decoder_read` stop with TRENZA_CODEC_TIMED_OUT once CLOCK_MONOTONIC passes
/// `monotonic_ns` (checked every row); 0 removes the deadline.
void trenza_png_decoder_set_deadline(trenza_png_decoder *decoder, uint64_t monotonic_ns);

/// Encodes 8-bit pixels (1, 3 or 4 channels, rows without padding) as a PNG at zlib
/// `compression_level` 0…9. On success `out` owns the bytes.
trenza_codec_code trenza_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height,
                                    int channels, int compression_level, trenza_codec_buffer *out,
                                    trenza_codec_status *status);

/// Encodes like `trenza_png_encode`, but filters the rows itself (libpng's adaptive choice) and
/// deflates them with libdeflate at `compression_level` 0…9. libdeflate's levels are not zlib's:
/// the file differs from libpng's at the same level, its pixels do not.
trenza_codec_code trenza_png_encode_libdeflate(const uint8_t *pixels, uint32_t width,
                                               uint32_t height, int channels,
                                               int compression_level, trenza_codec_buffer *out,
                                               trenza_codec_status *status);

// MARK: JPEG

typedef struct trenza_jpeg_decoder trenza_jpeg_decoder;

/// Reads the JPEG header from `data` (valid until close). Returns NULL and fills `status` on
/// failure.
trenza_jpeg_decoder *trenza_jpeg_decoder_open(const uint8_t *data, size_t size,
                                              trenza_image_info *info,
                                              trenza_codec_status *status);

/// Decodes all pixels into `pixels`. Any libjpeg warning (a truncated file, corrupt entropy
/// data) is reported as an error, since libjpeg would otherwise fill the gap with grey.
trenza_codec_code trenza_jpeg_decoder_read(trenza_jpeg_decoder *decoder, uint8_t *pixels,
                                           size_t capacity, trenza_codec_status *status);

void trenza_jpeg_decoder_close(trenza_jpeg_decoder *decoder);

/// Makes `trenza_jpeg_decoder_read` stop with TRENZA_CODEC_TIMED_OUT once CLOCK_MONOTONIC passes
/// `monotonic_ns` (checked as libjpeg reports progress: per row of blocks of every scan, and per
/// output row); 0 removes the deadline.
void trenza_jpeg_decoder_set_deadline(trenza_jpeg_decoder *decoder, uint64_t monotonic_ns);

/// Makes libjpeg decode at 1/`denominator` of the size (1, 2, 4 or 8) by scaling in the DCT domain,
/// as Pillow's `draft` does; call between open and read. Updates `info` to the scaled size, which is
/// the full size divided by `denominator`, rounded up.
trenza_codec_code trenza_jpeg_decoder_scale(trenza_jpeg_decoder *decoder, int denominator,
                                            trenza_image_info *info, trenza_codec_status *status);

/// Encodes 8-bit grey (1 channel, as a greyscale JPEG) or RGB (3 channels, YCbCr 4:2:0) pixels at
/// `quality` 1…100 with libjpeg's defaults otherwise (baseline, JFIF, ISLOW DCT).
trenza_codec_code trenza_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height,
                                     int channels, int quality, trenza_codec_buffer *out,
                                     trenza_codec_status *status);

#endif
