#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Checks that every #include "..." in src/ runs down the layers declared in tests/layers: each
# offending include is printed as file: header (module, layer); exit 1 if there is any.
set -u
cd "$(dirname "$0")/.." || exit
for f in src/*/*.c src/*/*.h; do
	grep -o '^#include "[^"]*"' "$f" | sed "s|^#include \"\\(.*\\)\"|$f \\1|"
done | awk -v layers=tests/layers '
	function module(file,   m) {
		m = file
		sub(/.*\//, "", m)
		sub(/\.[ch]$/, "", m)
		return (m in owner) ? owner[m] : m
	}
	BEGIN {
		n = 0
		while ((getline line < layers) > 0) {
			if (line ~ /^#/ || line ~ /^[ \t]*$/)
				continue
			split(line, w, /[ \t]+/)
			if (w[1] == "allow") {
				allowed[w[2] " " w[3]] = 1
				continue
			}
			n++
			eq = 0
			for (i = 1; i in w; i++) {
				if (w[i] == "=") {
					eq = 1
					continue
				}
				if (eq) {
					owner[w[i]] = head
				} else {
					head = w[i]
					layer[w[i]] = n
				}
			}
			delete w
		}
	}
	{
		file = $1
		header = $2
		base = file
		sub(/.*\//, "", base)
		from = module(file)
		to = module(header)
		if (!(from in layer)) {
			printf "%s: its module %s is in no layer of %s\n", file, from, layers
			bad++
		} else if (!(to in layer)) {
			printf "%s: %s: module %s is in no layer of %s\n", file, header, to, layers
			bad++
		} else if (from != to && layer[to] <= layer[from] && !((base " " header) in allowed)) {
			printf "%s: includes %s (%s, layer %d) from layer %d: up or sideways\n", file,
			    header, to, layer[to], layer[from]
			bad++
		}
		checked++
	}
	END {
		printf "layers: %d includes checked, %d against the order\n", checked, bad
		exit bad > 0
	}'
