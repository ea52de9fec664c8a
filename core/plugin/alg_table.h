/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The algorithm table (internal API; uipsec_alg_info() in <uipsec/alg.h>
 * looks up one entry). */
#ifndef UIPSEC_CORE_ALG_TABLE_H
#define UIPSEC_CORE_ALG_TABLE_H

#include <uipsec/alg.h>

/* Every algorithm of the table (count in *n). */
const uipsec_alg_info_t *alg_table_all(size_t *n);

#endif
