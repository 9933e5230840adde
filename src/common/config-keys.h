/* SPDX-License-Identifier: BSD-2-Clause */
/* The config schema, private to config.c, config-keys.c and their unit test: one row per key. */
#ifndef HELLOD_CONFIG_KEYS_H
#define HELLOD_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>             /* [log] level is a syslog level, LOG_ERR..LOG_DEBUG */

#include "config.h"

#define CONFIG_KEYS_MAX 32      /* rows in config_keys[]: config.c keeps a line per key */
#define MSG_LEN (HELLOD_CONFIG_ERROR_LEN - 64) /* a parser's message, after "key = 'value': " */

/* How a value is read; each type has one parser in config-keys.c. */
enum config_type {
	CONFIG_BOOL,            /* yes/no, true/false, on/off, 1/0 */
	CONFIG_UINT,            /* min-max, or the word auto_word for auto_value */
	CONFIG_SECONDS,         /* min-max microseconds, written in seconds; "0" too if zero_off */
	CONFIG_ENUM,            /* one of words[], stored as its index */
	CONFIG_HOST,            /* "*" or empty (NULL: every address), a host name or an address */
	CONFIG_PORT,            /* 1-65535 or a service name */
	CONFIG_GREETING,        /* UTF-8 text and tabs, min-max bytes */
	CONFIG_LEVEL,           /* a syslog level name */
	CONFIG_PREFIXES,        /* at most max addresses or prefixes; their count at count_offset */
	CONFIG_PATH,            /* a file's path, absolute or not; empty: none (NULL) */
	CONFIG_ENDPOINTS,       /* at most max ADDRESS:PORT items, kept as written; empty: NULL */
};

/* What a field holds, found from its C type (CONFIG_FIELD): no row writes the wrong width. */
enum config_storage {
	STORE_BOOL,
	STORE_INT,
	STORE_UNSIGNED,
	STORE_U16,
	STORE_U64,
	STORE_STRING,           /* char *, owned by the config */
	STORE_OTHER,            /* written by its type's parser alone */
};

/* The offset, size and storage of a field of struct hellod_config. */
#define CONFIG_FIELD(f) \
	.offset = offsetof(struct hellod_config, f), \
	.size = sizeof(((struct hellod_config *)NULL)->f), \
	.storage = _Generic(((struct hellod_config *)NULL)->f, \
	    bool: STORE_BOOL, int: STORE_INT, unsigned: STORE_UNSIGNED, uint16_t: STORE_U16, \
	    uint64_t: STORE_U64, char *: STORE_STRING, default: STORE_OTHER)

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	size_t offset, size;            /* where it is stored in struct hellod_config */
	enum config_storage storage;
	uint64_t min, max;              /* the range (microseconds for CONFIG_SECONDS) */
	const char *auto_word;          /* CONFIG_UINT: this word stands for auto_value */
	uint64_t auto_value;
	bool zero_off;                  /* CONFIG_SECONDS: "0" is allowed, and means off */
	bool terse;                     /* the message says what is allowed, not what is wrong */
	const char *const *words;       /* CONFIG_ENUM: the words, NULL-terminated */
	size_t count_offset;            /* CONFIG_PREFIXES: where their number is stored */
	const char *allowed;            /* what -t says is allowed (UTF-8 rules say their own) */
	uint64_t def;                   /* the built-in default, for a number ... */
	const char *def_text;           /* ... or as the file would say it (parsed; NULL: none) */
	bool reload;                    /* a reload applies it; false: it takes the next start */
};

extern const struct config_key config_keys[];
extern const size_t config_n_keys;

/* The row of section's key name, or NULL. */
const struct config_key *config_key_find(const char *section, const char *name);

/* Whether some key lives in the section named by the n bytes at name. */
bool config_section_known(const char *name, size_t n);

/* Writes the names of section's keys ("host, port, ...") into buf, or with section NULL the
 * sections ("[server], [limits], [log]"). Returns buf. */
char *config_keys_format(const char *section, char *buf, size_t len);

/* Parses value by k's type and stores it in c; pure. Returns 0, or -EINVAL or -ERANGE with
 * msg (MSG_LEN bytes) saying what is allowed, or -ENOMEM. */
int config_key_parse(const struct config_key *k, struct hellod_config *c, const char *value,
    char *msg);

/* Stores every key's built-in default in c. Returns 0 or -ENOMEM. */
int config_keys_defaults(struct hellod_config *c);

/* Frees what the keys of c own (their strings). */
void config_keys_free(struct hellod_config *c);

/* [server] greeting's row, by the name the unit test has long called it: it reaches past
 * the line limit with it. */
static inline int
parse_greeting(struct hellod_config *c, const char *value, char *msg)
{
	return config_key_parse(config_key_find("server", "greeting"), c, value, msg);
}

#endif
