import v8 from 'node:v8';

/**
 * For a command that reads a whole catalog a page at a time (`datasource list`, `catalog copy`): keeps V8's heap
 * near what one page needs, so the process's memory is the same at a million values as at ten thousand.
 *
 * Left alone, V8 sizes its heap for throughput, not for a process this short-lived: it doubles the young
 * generation (up to 2 × 16 MiB) once enough objects survived its collections since the last doubling — on a long
 * enough run they always have — and lets the old generation fill with garbage up to several times what is live
 * before it collects (with the database driver's buffers held, outside the heap, until then). At a million values
 * that was 30 MiB and more of garbage, the live data being one page. Both factors are read each time V8 sizes a
 * space, so setting them now applies from here on; the cost is more frequent collections, each as quick, since
 * little is live.
 */
export function keepHeapSmall(): void {
	// The young generation stays at its starting size.
	v8.setFlagsFromString('--semi-space-growth-factor=1');
	// A full collection once the old generation grew by 10 % past what was live, or by the least step V8 takes, which
	// optimizing for size makes 2 MiB instead of 8.
	v8.setFlagsFromString('--heap-growing-percent=10');
	v8.setFlagsFromString('--optimize-for-size');
}
