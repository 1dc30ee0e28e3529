/*
 * Thin wrappers that queue one SQE each, with the op pointer as user_data.
 * Shard thread only. user_data 0 marks completions nobody waits for
 * (cancel requests).
 */
#include <errno.h>
#include <sys/socket.h>

#include "challenged/rt.h"

struct io_uring_sqe *rt_sqe(struct rt_shard *sh)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&sh->ring);
	while (!sqe) {
		io_uring_submit(&sh->ring);
		sqe = io_uring_get_sqe(&sh->ring);
	}
	return sqe;
}

void rt_accept_multishot(struct rt_shard *sh, struct rt_op *op, int listen_fd)
{
	struct io_uring_sqe *sqe = rt_sqe(sh);
	io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data(sqe, op);
}

void rt_recv_multishot(struct rt_shard *sh, struct rt_op *op, int fd)
{
	struct io_uring_sqe *sqe = rt_sqe(sh);
	io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 0;
	io_uring_sqe_set_data(sqe, op);
}

void rt_send(struct rt_shard *sh, struct rt_op *op, int fd, const void *p, size_t len)
{
	struct io_uring_sqe *sqe = rt_sqe(sh);
	io_uring_prep_send(sqe, fd, p, len, MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, op);
}

void rt_recv(struct rt_shard *sh, struct rt_op *op, int fd, void *p, size_t len)
{
	struct io_uring_sqe *sqe = rt_sqe(sh);
	io_uring_prep_recv(sqe, fd, p, len, 0);
	io_uring_sqe_set_data(sqe, op);
}

void rt_connect(struct rt_shard *sh, struct rt_op *op, int fd, const struct sockaddr *addr,
		unsigned addr_len)
{
	struct io_uring_sqe *sqe = rt_sqe(sh);
	io_uring_prep_connect(sqe, fd, addr, addr_len);
	io_uring_sqe_set_data(sqe, op);
}

void rt_poll(struct rt_shard *sh, struct rt_op *op, int fd, unsigned events, bool multishot)
{
	struct io_uring_sqe *sqe = rt_sqe(sh);
	if (multishot)
		io_uring_prep_poll_multishot(sqe, fd, events);
	else
		io_uring_prep_poll_add(sqe, fd, events);
	io_uring_sqe_set_data(sqe, op);
}

void rt_cancel(struct rt_shard *sh, struct rt_op *op)
{
	struct io_uring_sqe *sqe = rt_sqe(sh);
	io_uring_prep_cancel(sqe, op, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data(sqe, NULL);
}

static void on_timer(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	(void)flags;
	struct rt_timer *t = (struct rt_timer *)op;
	/* -ECANCELED: replaced by a re-arm or cancelled; the newer SQE (if
	 * any) delivers its own completion. Only -ETIME is an expiry. */
	if (res != -ETIME)
		return;
	t->armed = false;
	t->fire(sh, t);
}

void rt_timer_init(struct rt_timer *t, void (*fire)(struct rt_shard *, struct rt_timer *))
{
	t->op.complete = on_timer;
	t->armed = false;
	t->fire = fire;
}

void rt_timer_arm(struct rt_shard *sh, struct rt_timer *t, uint64_t ms)
{
	if (t->armed)
		rt_timer_cancel(sh, t);
	t->ts.tv_sec = (long long)(ms / 1000);
	t->ts.tv_nsec = (long long)(ms % 1000) * 1000000;
	struct io_uring_sqe *sqe = rt_sqe(sh);
	io_uring_prep_timeout(sqe, &t->ts, 0, 0);
	io_uring_sqe_set_data(sqe, &t->op);
	/* The kernel reads ts when the SQE is consumed: submit now so a later
	 * re-arm may overwrite it safely. */
	io_uring_submit(&sh->ring);
	t->armed = true;
}

void rt_timer_cancel(struct rt_shard *sh, struct rt_timer *t)
{
	if (!t->armed)
		return;
	struct io_uring_sqe *sqe = rt_sqe(sh);
	io_uring_prep_timeout_remove(sqe, (__u64)(uintptr_t)&t->op, 0);
	io_uring_sqe_set_data(sqe, NULL);
	t->armed = false;
}
