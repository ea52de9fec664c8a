/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The library missing_lib.c links; see tests/foundation.am. */
__attribute__((visibility("default"))) int uipsec_test_gone(void);
int uipsec_test_gone(void)
{
	return 0;
}
