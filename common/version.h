/*
 * The program's version: set by the Makefile (-DVV_VERSION), recorded in
 * every manifest and printed by --version.
 */
#ifndef VV_VERSION_H
#define VV_VERSION_H

#ifndef VV_VERSION
#error "VV_VERSION is set by the Makefile"
#endif

#endif
