/*
 * The shard's provided-buffer ring for multishot receives. Debian's liburing
 * 2.3 has no io_uring_setup_buf_ring, so the ring memory is mmapped here and
 * registered with io_uring_register_buf_ring. Buffers handed back by
 * rt_buf_recycle are published to the kernel in one batch per loop turn.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "rt_private.h"

int rt_buffers_init(struct rt_shard *sh, unsigned count, unsigned size)
{
	size_t ring_bytes = (size_t)count * sizeof(struct io_uring_buf);
	void *mem = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	sh->br = mem;
	sh->br_entries = count;
	sh->br_mask = (unsigned)io_uring_buf_ring_mask(count);
	sh->buf_size = size;
	sh->bufs = aligned_alloc(4096, (size_t)count * size);
	if (!sh->bufs) {
		munmap(mem, ring_bytes);
		sh->br = NULL;
		return -ENOMEM;
	}

	struct io_uring_buf_reg reg = {
		.ring_addr = (unsigned long)(uintptr_t)mem,
		.ring_entries = count,
		.bgid = 0,
	};
	int ret = io_uring_register_buf_ring(&sh->ring, &reg, 0);
	if (ret < 0) {
		free(sh->bufs);
		munmap(mem, ring_bytes);
		sh->br = NULL;
		sh->bufs = NULL;
		return ret;
	}
	io_uring_buf_ring_init(sh->br);
	for (unsigned i = 0; i < count; i++)
		io_uring_buf_ring_add(sh->br, sh->bufs + (size_t)i * size, size, (unsigned short)i,
				      (int)sh->br_mask, (int)i);
	io_uring_buf_ring_advance(sh->br, (int)count);
	return 0;
}

void rt_buffers_fini(struct rt_shard *sh)
{
	if (!sh->br)
		return;
	io_uring_unregister_buf_ring(&sh->ring, 0);
	munmap(sh->br, (size_t)sh->br_entries * sizeof(struct io_uring_buf));
	free(sh->bufs);
	sh->br = NULL;
	sh->bufs = NULL;
}

const char *rt_buf_data(struct rt_shard *sh, unsigned bid)
{
	return sh->bufs + (size_t)bid * sh->buf_size;
}

void rt_buf_recycle(struct rt_shard *sh, unsigned bid)
{
	io_uring_buf_ring_add(sh->br, sh->bufs + (size_t)bid * sh->buf_size, sh->buf_size,
			      (unsigned short)bid, (int)sh->br_mask, (int)sh->br_pending);
	sh->br_pending++;
}

void rt_buffers_publish(struct rt_shard *sh)
{
	if (sh->br_pending) {
		io_uring_buf_ring_advance(sh->br, (int)sh->br_pending);
		sh->br_pending = 0;
	}
}
