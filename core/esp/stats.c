/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Global counters: one block per thread, summed on demand. */
#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "esp/stats.h"

static const char *const stat_names[STAT_COUNT] = {
	[STAT_RX_PACKETS] = "rx_packets",
	[STAT_TX_PACKETS] = "tx_packets",
	[STAT_RX_BYTES] = "rx_bytes",
	[STAT_TX_BYTES] = "tx_bytes",
	[STAT_AUTH_FAILED] = "auth_failed",
	[STAT_REPLAY_DROPPED] = "replay_dropped",
	[STAT_BAD_SPI] = "bad_spi",
	[STAT_MALFORMED] = "malformed",
	[STAT_POLICY_DROPPED] = "policy_dropped",
	[STAT_NO_SA] = "no_sa",
	[STAT_KEEPALIVE_RX] = "keepalive_rx",
	[STAT_IKE_RX] = "ike_rx",
	[STAT_QUEUE_DROPPED] = "queue_dropped",
	[STAT_BYPASS] = "bypass",
	[STAT_DUMMY_DROPPED] = "dummy_dropped",
	[STAT_CRYPTO_FAILED] = "crypto_failed",
	[STAT_SEQ_RESERVE_WAIT] = "seq_reserve_wait",
	[STAT_ICMP_SUPPRESSED] = "icmp_suppressed",
	[STAT_CONTROL_STALLED] = "control_stalled",
	[STAT_IKE_RELAY_DROPPED] = "ike_relay_dropped",
	[STAT_IKE_RELAY_MALFORMED] = "ike_relay_malformed",
	[STAT_ENCAP_MISMATCH] = "encap_mismatch",
	[STAT_RAW_ESP_RX] = "raw_esp_rx",
	[STAT_RAW_ESP_TX] = "raw_esp_tx",
	[STAT_TUN_DOWN] = "tun_down",
	[STAT_TUN_LOST] = "tun_lost",
	[STAT_ROUTES_REINSTALLED] = "routes_reinstalled",
	[STAT_NET_EVENTS_LOST] = "net_events_lost",
};

__thread stats_block_t *stats_tls;

typedef struct stats_node {
	stats_block_t block;
	struct stats_node *next;
} stats_node_t;

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static stats_node_t *stats_live;
static uint64_t stats_retired[STAT_COUNT];   /* totals of exited threads */
static pthread_key_t stats_key;
static pthread_once_t stats_once = PTHREAD_ONCE_INIT;

static void stats_thread_exit(void *arg)
{
	stats_node_t *node = arg;
	pthread_mutex_lock(&stats_lock);
	for (stats_node_t **pp = &stats_live; *pp; pp = &(*pp)->next) {
		if (*pp == node) {
			*pp = node->next;
			break;
		}
	}
	for (int i = 0; i < STAT_COUNT; i++)
		stats_retired[i] += node->block.v[i];
	pthread_mutex_unlock(&stats_lock);
	free(node);
}

static void stats_make_key(void)
{
	pthread_key_create(&stats_key, stats_thread_exit);
}

stats_block_t *stats_thread_block(void)
{
	pthread_once(&stats_once, stats_make_key);
	stats_node_t *node = NULL;
	if (posix_memalign((void **)&node, 64, sizeof(*node)) != 0)
		g_error("stats: out of memory");
	memset(node, 0, sizeof(*node));
	pthread_mutex_lock(&stats_lock);
	node->next = stats_live;
	stats_live = node;
	pthread_mutex_unlock(&stats_lock);
	pthread_setspecific(stats_key, node);
	stats_tls = &node->block;
	return stats_tls;
}

const char *stats_name(stats_id_t id)
{
	return (unsigned)id < STAT_COUNT ? stat_names[id] : "unknown";
}

void stats_snapshot(uint64_t out[STAT_COUNT])
{
	pthread_mutex_lock(&stats_lock);
	memcpy(out, stats_retired, sizeof(stats_retired));
	for (stats_node_t *n = stats_live; n; n = n->next)
		for (int i = 0; i < STAT_COUNT; i++)
			out[i] += __atomic_load_n(&n->block.v[i], __ATOMIC_RELAXED);
	pthread_mutex_unlock(&stats_lock);
}

void stats_reset(void)
{
	pthread_mutex_lock(&stats_lock);
	memset(stats_retired, 0, sizeof(stats_retired));
	for (stats_node_t *n = stats_live; n; n = n->next)
		for (int i = 0; i < STAT_COUNT; i++)
			__atomic_store_n(&n->block.v[i], 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&stats_lock);
}
