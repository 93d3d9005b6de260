/* test_eventhead.c - the feed's head held by a worker: nothing without the
 * shared generation, held within a generation, dropped when it moves, and
 * a head read under an older generation never kept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "opengov/base/eventhead.h"

static void test_head(void **state)
{
	(void)state;
	uint64_t head = 0, gen = 99;

	/* Not mapped: generation 0, nothing held. */
	assert_false(eventhead_get(&head, &gen));
	assert_int_equal(gen, 0);
	eventhead_put(gen, 5);
	assert_false(eventhead_get(&head, &gen));
	eventhead_invalidate();

	assert_int_equal(eventhead_init(), 0);
	assert_false(eventhead_get(&head, &gen));
	assert_int_not_equal(gen, 0);
	eventhead_put(gen, 42);
	assert_true(eventhead_get(&head, &gen));
	assert_int_equal(head, 42);

	/* Events committed: the head is read again. */
	eventhead_invalidate();
	uint64_t g2;
	assert_false(eventhead_get(&head, &g2));
	assert_int_not_equal(g2, gen);
	/* A head read before a notification is never kept. */
	eventhead_invalidate();
	eventhead_put(g2, 43);
	uint64_t g3;
	assert_false(eventhead_get(&head, &g3));
	eventhead_put(g3, 44);
	assert_true(eventhead_get(&head, &g3));
	assert_int_equal(head, 44);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
