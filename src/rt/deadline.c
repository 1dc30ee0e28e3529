/*
 * Fixed-duration deadline lists, expired by the shard's periodic tick. No
 * kernel operation per connection: re-starting a countdown is a list move.
 */
#include "rt_private.h"

void rt_deadline_list_init(struct rt_shard *sh, struct rt_deadline_list *l, uint64_t timeout_ms)
{
	l->head.prev = l->head.next = &l->head;
	l->timeout_ms = timeout_ms;
	l->next_list = sh->lists;
	sh->lists = l;
}

void rt_deadline_remove(struct rt_deadline *d)
{
	if (!d->next)
		return;
	d->prev->next = d->next;
	d->next->prev = d->prev;
	d->prev = d->next = NULL;
}

void rt_deadline_add(struct rt_shard *sh, struct rt_deadline_list *l, struct rt_deadline *d)
{
	rt_deadline_remove(d);
	d->at_ms = sh->now_ms + l->timeout_ms;
	d->prev = l->head.prev;
	d->next = &l->head;
	l->head.prev->next = d;
	l->head.prev = d;
}

void rt_deadlines_expire(struct rt_shard *sh)
{
	for (struct rt_deadline_list *l = sh->lists; l; l = l->next_list) {
		while (l->head.next != &l->head && l->head.next->at_ms <= sh->now_ms) {
			struct rt_deadline *d = l->head.next;
			rt_deadline_remove(d);
			d->expire(sh, d);
		}
	}
}
