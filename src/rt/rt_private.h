/* Internals shared by the files of src/rt; nothing outside src/rt includes it. */
#ifndef CHALLENGED_RT_PRIVATE_H
#define CHALLENGED_RT_PRIVATE_H

#include "challenged/rt.h"

struct rt_runtime {
	struct rt_config cfg;
	struct rt_shard **shards;
	unsigned n;
	atomic_bool stop_requested;
	atomic_uint drained; /* shards whose is_drained holds right now */
	pthread_mutex_t start_lock; /* start-up handshake only */
	pthread_cond_t start_cond;
	unsigned started;
	bool start_failed;
};

int rt_buffers_init(struct rt_shard *sh, unsigned count, unsigned size);
void rt_buffers_fini(struct rt_shard *sh);
void rt_buffers_publish(struct rt_shard *sh);

void rt_mailbox_init(struct rt_mailbox *mb);
void rt_mailbox_ring_doorbells(struct rt_shard *sh);
void rt_mailbox_drain(struct rt_shard *sh);

void rt_deadlines_expire(struct rt_shard *sh);

#endif
