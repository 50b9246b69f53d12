/*
 * Little-endian load and store of unsigned integers of N bytes (1..8), the
 * byte order of every binary object of the repository.
 */
#ifndef VV_ENDIAN_H
#define VV_ENDIAN_H

#include <stdint.h>

/* le_store: the N low bytes of V into P, least significant first. */
static inline void
le_store(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* le_load: the N bytes at P, least significant first. */
static inline uint64_t
le_load(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#endif
