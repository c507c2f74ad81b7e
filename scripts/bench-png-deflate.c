// Encode time (CPU) and size of PNG output through libpng+zlib and through libdeflate, at one
// level, over PNG files (decoded by our own decoder), as RGB and as grey. The C layer alone, so
// that the figures do not need a release build of the whole package:
//
//   trenza images --generate 48 /tmp/samples --size 1920x1080 --format png
//   cc -O3 -ISources/CTrenzaCodecs/include -o /tmp/bench-png scripts/bench-png-deflate.c Sources/CTrenzaCodecs/*.c -lpng16 -ljpeg -ldeflate
//   /tmp/bench-png 6 /tmp/samples/*.png
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "trenza_codecs.h"
static double cpu(void){ struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&t); return t.tv_sec+t.tv_nsec*1e-9; }
int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s LEVEL FILE.png...\n", argv[0]); return 2; }
    int level = atoi(argv[1]);
    double t[2][2] = {{0}}; size_t bytes[2][2] = {{0}};
    for (int i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb"); fseek(f,0,SEEK_END); long n=ftell(f); rewind(f);
        unsigned char *d = malloc(n); if (fread(d,1,n,f) != (size_t)n) return 1; fclose(f);
        trenza_image_info info; trenza_codec_status st;
        trenza_png_decoder *dec = trenza_png_decoder_open(d, n, 1ull<<40, &info, &st);
        size_t cap = (size_t)info.width*info.height*info.channels; unsigned char *p = malloc(cap);
        trenza_png_decoder_read(dec, p, cap, &st); trenza_png_decoder_close(dec);
        size_t px = (size_t)info.width*info.height; unsigned char *grey = malloc(px);
        for (size_t k = 0; k < px; k++) grey[k] = (unsigned char)((p[3*k]*299 + p[3*k+1]*587 + p[3*k+2]*114 + 500)/1000);
        for (int mode = 0; mode < 2; mode++) for (int which = 0; which < 2; which++) {
            trenza_codec_buffer out; double s = cpu();
            int c = mode ? 1 : info.channels; unsigned char *src = mode ? grey : p;
            if (which) trenza_png_encode_libdeflate(src, info.width, info.height, c, level, &out, &st);
            else trenza_png_encode(src, info.width, info.height, c, level, &out, &st);
            t[mode][which] += cpu() - s; bytes[mode][which] += out.size; trenza_codec_buffer_free(&out);
        }
        free(p); free(grey); free(d);
    }
    const char *m[2] = {"RGB", "L"};
    for (int mode = 0; mode < 2; mode++)
        printf("%s level %d: zlib %.2f s CPU %zu bytes | libdeflate %.2f s CPU %zu bytes | speed-up %.2fx, size %+.2f%%\n", m[mode], level,
               t[mode][0], bytes[mode][0], t[mode][1], bytes[mode][1], t[mode][0]/t[mode][1], 100.0*((double)bytes[mode][1]/bytes[mode][0]-1));
}
