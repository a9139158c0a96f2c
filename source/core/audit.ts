import type {Catalog, CatalogTx} from '../catalog/catalog.ts';

/** The audit log records who did what with which key version — never a secret, never a password. */
export async function audit(
	tx: CatalogTx,
	installationId: string | undefined,
	operation: string,
	fingerprints: string[],
	detail = '',
): Promise<void> {
	await tx.appendAudit({installationId, operation, fingerprints, outcome: 'success', detail});
}

/** Records a failed key operation (a wrong backup password, say) in its own transaction; never masks the failure. */
export async function auditFailure(
	catalog: Catalog,
	installationId: string | undefined,
	operation: string,
	code: string,
): Promise<void> {
	try {
		await catalog.write(async tx =>
			tx.appendAudit({installationId, operation, fingerprints: [], outcome: 'failure', detail: code}),
		);
	} catch {
		// The catalog may be the thing that failed; the original error is what the user needs to see.
	}
}
