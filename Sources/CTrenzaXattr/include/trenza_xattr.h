#ifndef TRENZA_XATTR_H
#define TRENZA_XATTR_H

// Glibc's Swift module map leaves out <sys/xattr.h>; the downloader keeps a part file's HTTP
// validator in an extended attribute.
#include <sys/xattr.h>

#endif
