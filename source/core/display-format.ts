/**
 * How times and counts read for people, the same on every screen and in every command's text output (README,
 * Output and exit codes). Machine-readable output (`--json`) keeps the ISO timestamps and plain numbers instead.
 */

/**
 * `1,234,567`: a whole count with its thousands grouped as in en-US. Plain code rather than Intl.NumberFormat, whose
 * construction costs milliseconds of start-up on the Status page's first frame.
 */
export function formatCount(value: number): string {
	return String(Math.trunc(value)).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** `2025-03-14 09:26 UTC`: unambiguous for admins in different time zones looking at one catalog. */
export function formatTime(iso: string | undefined): string {
	if (iso === undefined) return '—';
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return iso;
	return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
