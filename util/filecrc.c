/*
 * filecrc.c — spk_file_crc32() (util/util.h): a file's CRC-32, the identity of a model, chip image
 * or architecture in the files that refer to them. Apart from util.c so that only its callers
 * link zlib.
 */
#include "config.h"

#include "util/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

int spk_file_crc32(const char *path, uint32_t *crc, char *err, size_t errlen)
{
	unsigned char buf[65536];
	uLong c = *crc;
	FILE *f = fopen(path, "rb");
	size_t n;
	int ret = 0;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -EIO;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		c = crc32(c, buf, (uInt)n);
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		ret = -EIO;
	}
	fclose(f);
	*crc = (uint32_t)c;
	return ret;
}
