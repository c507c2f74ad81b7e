#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
#include <png.h>
#include "trenza_codecs.h"

int trenza_codecs_jpeg_lib_version(void) { return JPEG_LIB_VERSION; }

const char *trenza_codecs_png_version(void) { return png_get_libpng_ver(NULL); }
