/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * JSON evidence as lines a person reads: one "key: value" line per leaf,
 * nested keys joined by '.', an array of scalars on one line ("a, b, c"),
 * an array of objects by index ("addresses[0].ip: ..."). For the text
 * outputs of documents aegismon itself wrote (check's evidence); anything
 * else is refused, never half-printed.
 */
#ifndef AEGISMON_JSONFLAT_H
#define AEGISMON_JSONFLAT_H

#include <stddef.h>

/*
 * Flatten the JSON value in json[0..len) (a NUL ends it early) into out,
 * each line starting with indent and ending in '\n'; out is always
 * NUL-terminated. Returns the number of lines, -EINVAL for input that is not
 * one JSON value (or nests deeper than 16), -ENOSPC when out is too small
 * (out then holds the whole lines that fit).
 */
int json_flatten(const char *json, size_t len, const char *indent, char *out, size_t outlen);

#endif
