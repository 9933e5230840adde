/* SPDX-License-Identifier: BSD-2-Clause */
/* Runs a libFuzzer target without libFuzzer: each file named is one input. make check builds
 * the targets with this and runs them over the committed corpus and reproducers (also under
 * ASan and valgrind); make fuzz builds them with clang's -fsanitize=fuzzer to search. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t n;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("%d inputs\n", argc - 1);
	return 0;
}
