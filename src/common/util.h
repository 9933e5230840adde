/* SPDX-License-Identifier: BSD-2-Clause */
/* Small checked parsers and string helpers shared by both programs; none of them logs. */
#ifndef HELLOD_UTIL_H
#define HELLOD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* Parses a decimal number in [min, max]: digits only, no sign, no spaces.
 * Returns 0, -EINVAL when it is not a number, -ERANGE when out of range. */
int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret);

/* Parses seconds as a decimal number with at most six decimals ("10", "0.5", ".25"), no
 * sign, no exponent, into microseconds no more than max_usec. Returns 0, -EINVAL or -ERANGE. */
int parse_seconds(const char *s, uint64_t max_usec, uint64_t *ret);

/* Parses yes/no, true/false, on/off, 1/0 (any case). Returns 0 or -EINVAL. */
int parse_boolean(const char *s, bool *ret);

/* Parses a syslog level name: "err", "warning", "notice", "info" or "debug".
 * Returns LOG_ERR..LOG_DEBUG or -EINVAL. */
int parse_log_level(const char *s);

/* Decodes the UTF-8 sequence at s, of at most n (> 0) bytes, into *ret_cp. Returns its length,
 * 1-4, or 0 when it is not UTF-8: a stray continuation byte, a truncated sequence, an overlong
 * form, a UTF-16 surrogate or a code point past U+10FFFF. */
size_t utf8_decode(const char *s, size_t n, uint32_t *ret_cp);

/* Copies s into buf (of size len, >= 4) with control characters, backslashes and bytes >= 0x7f
 * escaped as \n, \t, \\ or \xHH, cutting it with "..." when it does not fit. Returns buf. */
char *str_escape(const char *s, size_t n, char *buf, size_t len);

/* As str_escape(), and also escapes the characters in also as \xHH. */
char *str_escape_also(const char *s, size_t n, char *buf, size_t len, const char *also);

/* Formats usec as seconds: "5 s" or "0.25 s". Returns buf. */
char *format_usec(uint64_t usec, char *buf, size_t len);

/* Reads the regular file at path whole, at most max bytes, into a new buffer, or none (NULL)
 * for /dev/null, which reads as empty. Never waits on a FIFO, never reads another device.
 * Returns its size and sets *ret_data, or a negative errno with msg (len bytes) saying why:
 * cannot be opened (strerror()), not a regular file (-EISDIR, -EBADFD), longer than max
 * (-EFBIG), or cannot be read. */
ssize_t read_regular_file(const char *path, size_t max, char **ret_data, char *msg, size_t len);

/* Reads and discards what the socket fd has received, into scratch (size bytes at a time), at
 * most HELLOD_DRAIN_BURST bytes a call, so that one peer cannot hold the loop: the rest waits
 * for the next readiness, never for a close, which would reset a peer still sending. Returns
 * 0 when there may be more later, -1 at the peer's end, its reset or another error. */
int fd_discard(int fd, char *scratch, size_t size);

#endif
