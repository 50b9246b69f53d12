/*
 * A screenshot as libvirt gives it (a binary PPM, P6, or with QEMU 7 a
 * PNG already) saved as PNG: what a browser and a mail reader show.
 */
#ifndef VV_PPM_H
#define VV_PPM_H

/*
 * ppm_to_png: convert the PPM file FROM (a PNG: copied as it is) into the
 * PNG file TO (written under
 * a temporary name, then renamed; mode 0644). Returns 0 or -1 (logged,
 * naming the file).
 */
int ppm_to_png(const char *from, const char *to);

#endif
