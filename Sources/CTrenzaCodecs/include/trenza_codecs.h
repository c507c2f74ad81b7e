#ifndef TRENZA_CODECS_H
#define TRENZA_CODECS_H

/// The libjpeg version the shim was compiled against (JPEG_LIB_VERSION), e.g. 62.
int trenza_codecs_jpeg_lib_version(void);

/// The libpng version string the shim is linked with, e.g. "1.6.39".
const char *trenza_codecs_png_version(void);

#endif
