import {stat} from 'node:fs/promises';
import {RscmError} from '../errors.ts';
import {
	discardNextIdentityFile,
	promoteNextIdentityFile,
	readIdentityFile,
	writeIdentityFile,
	type Identity,
	type IdentityKeyPair,
	type IdentitySlot,
} from './identity-file.ts';
import {openLocalSettings, type LocalSettingsStore} from './local-settings.ts';
import {assertPrivate, ensurePrivateDirectory} from './private-directory.ts';
import {readTrustFile, writeTrustHeads, type TrustFile, type TrustHead} from './trust-head.ts';

/**
 * The key-pair arithmetic an identity needs, given by the core (core/session.ts). The instance layer stores and
 * parses bytes and sits below the core, so it takes the crypto as a parameter instead of importing it: the
 * X25519 derivation and the fingerprint stay in one place (core/key-wrap.ts, core/fingerprint.ts).
 */
export type IdentityCrypto = {
	generate(): IdentityKeyPair;
	/** The public half of an X25519 private key. */
	publicKeyOf(privateKey: Uint8Array): Buffer;
	/** The identity fingerprint admins compare. */
	fingerprintOf(publicKey: Uint8Array): string;
};

/**
 * Everything an instance keeps on its own machine, in its private directory: the service identity (current and
 * next), the local settings and the trust heads. Every read and write of them goes through here.
 */
export class InstanceState {
	/** Creates the directory if needed (0700) and refuses it, or a settings file, that others can read or write. */
	static async open(directory: string, crypto: IdentityCrypto): Promise<InstanceState> {
		await ensurePrivateDirectory(directory);
		const settings = openLocalSettings(directory);
		// Local settings are not secret, but a writable-by-others settings file could point this instance at a rogue
		// catalog: refuse it like the identity file.
		if (await exists(settings.path)) await assertPrivate(settings.path, 'file');
		return new InstanceState(directory, settings, crypto);
	}

	private constructor(
		readonly directory: string,
		readonly settings: LocalSettingsStore,
		private readonly crypto: IdentityCrypto,
	) {}

	/** One identity file as it is; undefined when it does not exist. */
	async readIdentity(which: IdentitySlot): Promise<Identity | undefined> {
		const stored = await readIdentityFile(this.directory, which);
		if (!stored) return undefined;
		const publicKey = this.crypto.publicKeyOf(stored.privateKey);
		// The public half is derived, not trusted: a file edited by hand cannot claim another instance's public key.
		if (stored.statedPublicKey !== publicKey.toString('base64')) {
			throw new RscmError('IDENTITY_CORRUPT', `${stored.file}: the public key does not match the private key.`);
		}

		return {publicKey, privateKey: stored.privateKey, createdAt: stored.createdAt, fingerprint: this.crypto.fingerprintOf(publicKey)};
	}

	/**
	 * The identity in use, finishing or undoing an identity change that a crash interrupted: the next identity wins
	 * only if the catalog already names its public key (the change committed); otherwise the current one is still
	 * the one the catalog knows and the next one is discarded. `catalogPublicKey` is asked only when a next identity
	 * exists. undefined when the identity file is gone.
	 */
	async loadIdentity(catalogPublicKey: () => Promise<Uint8Array | undefined>): Promise<Identity | undefined> {
		const current = await this.readIdentity('current');
		const next = await this.readIdentity('next');
		if (next) {
			const known = await catalogPublicKey();
			if (known && Buffer.from(known).equals(next.publicKey)) {
				await this.promoteNextIdentity();
				return next;
			}

			await this.discardNextIdentity();
		}

		return current;
	}

	/** A new key pair, written as the current identity or as the next one of an identity change. */
	async createIdentity(which: IdentitySlot): Promise<Identity> {
		const pair = this.crypto.generate();
		const identity: Identity = {...pair, createdAt: new Date().toISOString(), fingerprint: this.crypto.fingerprintOf(pair.publicKey)};
		await writeIdentityFile(this.directory, identity, which);
		return identity;
	}

	/** The next identity becomes the current one (the catalog switched to it). */
	async promoteNextIdentity(): Promise<void> {
		await promoteNextIdentityFile(this.directory);
	}

	async discardNextIdentity(): Promise<void> {
		await discardNextIdentityFile(this.directory);
	}

	/** Every catalog's trust head of this instance. */
	async readTrust(): Promise<TrustFile> {
		return readTrustFile(this.directory);
	}

	/** Replaces the heads of the given catalogs, keeping the others. */
	async writeTrustHeads(heads: Record<string, TrustHead>): Promise<void> {
		await writeTrustHeads(this.directory, heads);
	}
}

async function exists(file: string): Promise<boolean> {
	try {
		await stat(file);
		return true;
	} catch {
		return false;
	}
}
