import type {SecretCounts, SecretKind} from '../../core/secret-values.ts';
import {formatCount} from '../../core/display-format.ts';
import {instanceStatusLabels, type InstanceStatus, type StatusReport} from '../../core/status.ts';

/**
 * Presentation helpers shared by the Status, Service Account, Encryption Keys and Data Sources pages: how counts of
 * stored values and the instance's state read on screen. No decisions about keys are made here; the core has made
 * them by the time these run. Times and counts are formatted by core/display-format.ts, so the commands read the same.
 */

export const secretKindLabels: Record<SecretKind, {one: string; many: string}> = {
	datasource: {one: 'data source value', many: 'data source values'},
	subscription: {one: 'subscription value', many: 'subscription values'},
	setting: {one: 'setting', many: 'settings'},
};

export function pluralize(count: number, forms: {one: string; many: string}): string {
	return `${formatCount(count)} ${count === 1 ? forms.one : forms.many}`;
}

export const secretKinds: readonly SecretKind[] = ['datasource', 'subscription', 'setting'];

/** "1,203 data source values, 2 settings", leaving out kinds with none; "none" when nothing is stored. */
export function describeSecretCounts(counts: SecretCounts | undefined, pick: 'total' | 'needsReentry'): string {
	if (counts === undefined) return '—';
	const parts = secretKinds
		.filter(kind => counts[kind][pick] > 0)
		.map(kind => pluralize(counts[kind][pick], secretKindLabels[kind]));
	return parts.length === 0 ? 'none' : parts.join(', ');
}

/**
 * What to do next in a state that needs the admin, in the words of the pages (the core's detail names commands).
 * Short enough for two lines of the Encryption Keys page at 80×24.
 */
export const nextSteps: Partial<Record<InstanceStatus, string>> = {
	'not-initialized': 'Create or choose the catalog on 4 Database.',
	waiting: 'Add it on a joined server (10 Scale-out), or Restore a backup.',
	'key-unavailable': 'This server cannot open its copy of the key; Restore a backup.',
	unconfirmed: 'Compare the key fingerprint on 10 Scale-out, then Accept Key.',
	tampered: 'Do not use this catalog until it is resolved: see 1 Report Server Status.',
};

/** "Waiting to Join: Add it on …": the state and what to do, for a page whose actions the state disables. */
export function stateNotice(status: StatusReport | undefined): string | undefined {
	if (status === undefined || status.status === 'joined') return undefined;
	return `${instanceStatusLabels[status.status]}: ${nextSteps[status.status] ?? status.statusDetail ?? ''}`;
}
