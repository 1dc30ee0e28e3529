/*
 * Shard-to-shard messages: each shard's inbox is an intrusive lock-free
 * multi-producer single-consumer queue (Dmitry Vyukov's design). A sender
 * marks the target's doorbell; once per loop turn one IORING_OP_MSG_RING per
 * marked target wakes it, however many messages were queued.
 */
#include "rt_private.h"

void rt_mailbox_init(struct rt_mailbox *mb)
{
	atomic_store_explicit(&mb->stub.next, NULL, memory_order_relaxed);
	atomic_store_explicit(&mb->head, &mb->stub, memory_order_relaxed);
	mb->tail = &mb->stub;
}

static void mailbox_push(struct rt_mailbox *mb, struct rt_msg *msg)
{
	atomic_store_explicit(&msg->next, NULL, memory_order_relaxed);
	struct rt_msg *prev = atomic_exchange_explicit(&mb->head, msg, memory_order_acq_rel);
	atomic_store_explicit(&prev->next, msg, memory_order_release);
}

/* NULL when empty, or while a producer is between its two stores (its
 * doorbell comes after it finished, so nothing is missed). */
static struct rt_msg *mailbox_pop(struct rt_mailbox *mb)
{
	struct rt_msg *tail = mb->tail;
	struct rt_msg *next = atomic_load_explicit(&tail->next, memory_order_acquire);
	if (tail == &mb->stub) {
		if (!next)
			return NULL;
		mb->tail = next;
		tail = next;
		next = atomic_load_explicit(&next->next, memory_order_acquire);
	}
	if (next) {
		mb->tail = next;
		return tail;
	}
	if (tail != atomic_load_explicit(&mb->head, memory_order_acquire))
		return NULL;
	mailbox_push(mb, &mb->stub);
	next = atomic_load_explicit(&tail->next, memory_order_acquire);
	if (next) {
		mb->tail = next;
		return tail;
	}
	return NULL;
}

void rt_mailbox_send(struct rt_shard *from, unsigned to, struct rt_msg *msg)
{
	struct rt_shard *target = rt_runtime_shard(from->rt, to);
	mailbox_push(&target->inbox, msg);
	if (!from->doorbell_pending[to]) {
		from->doorbell_pending[to] = true;
		from->doorbell_any = true;
	}
}

void rt_mailbox_ring_doorbells(struct rt_shard *sh)
{
	if (!sh->doorbell_any)
		return;
	sh->doorbell_any = false;
	for (unsigned i = 0; i < sh->n_shards; i++) {
		if (!sh->doorbell_pending[i])
			continue;
		sh->doorbell_pending[i] = false;
		struct rt_shard *target = rt_runtime_shard(sh->rt, i);
		if (target == sh) {
			/* Our own inbox: drained at the top of the next turn. */
			sh->self_wake = true;
			continue;
		}
		struct io_uring_sqe *sqe = rt_sqe(sh);
		io_uring_prep_msg_ring(sqe, target->ring.ring_fd, 0,
				       (__u64)(uintptr_t)&target->doorbell_op, 0);
		/* Our own CQE for the MSG_RING itself is not needed. */
		sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
		io_uring_sqe_set_data(sqe, NULL);
	}
}

void rt_mailbox_drain(struct rt_shard *sh)
{
	struct rt_msg *msg;
	while ((msg = mailbox_pop(&sh->inbox)) != NULL)
		msg->run(sh, msg);
}
