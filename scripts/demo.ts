// `npm run demo`: the Configuration Manager on a throwaway catalog that already has something on every page —
// sample data sources, an execution account, SMTP settings, a file share account and a second instance Waiting to
// Join — so a newcomer can try each page without touching a real deployment. Everything lives in one temporary
// directory that is removed when the manager exits.
import {spawn} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {importDataSources} from '../source/core/data-sources.ts';
import {initialize} from '../source/core/initialize.ts';
import {openSession} from '../source/core/session.ts';
import {setEmailSettings, setExecutionAccount, setFileShareAccount} from '../source/core/shared-settings.ts';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const directory = await mkdtemp(path.join(os.tmpdir(), 'rscm-demo-'));
const catalog = path.join(directory, 'catalog.db');

async function* sampleDataSources() {
	const sources = ['Sales', 'Finance', 'Inventory', 'HumanResources', 'Marketing', 'Support'];
	for (const name of sources) {
		yield {
			name,
			connectionString: `Data Source=sql01;Initial Catalog=${name};Encrypt=True`,
			username: `CONTOSO\\rs_${name.toLowerCase()}`,
			password: `demo-${name}-secret`,
		};
	}
}

const main = await openSession({catalog, instanceDirectory: path.join(directory, 'instance'), env: {}});
await initialize(main, {name: 'SSRS', machine: 'RSDEMO01'});
await importDataSources(main, sampleDataSources());
await setExecutionAccount(main, {enabled: true, account: 'CONTOSO\\rs_exec', password: 'demo-execution-secret'});
await setEmailSettings(main, {
	senderAddress: 'reports@contoso.example',
	smtpServer: 'smtp.contoso.example:587',
	authentication: 'basic',
	useSecureConnection: true,
	userName: 'reports',
	password: 'demo-smtp-secret',
});
await setFileShareAccount(main, {enabled: true, account: 'CONTOSO\\rs_share', password: 'demo-share-secret'});
await main.close();

const second = await openSession({catalog, instanceDirectory: path.join(directory, 'second'), env: {}});
await initialize(second, {name: 'SSRS', machine: 'RSDEMO02'});
await second.close();

process.stderr.write(`Demo catalog in ${directory} (removed on exit).\n`);
const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js')], {
	stdio: 'inherit',
	env: {...process.env, RSCM_CATALOG: catalog, RSCM_INSTANCE_DIR: path.join(directory, 'instance')},
});
// The manager handles these itself; the wrapper only waits, so that it can clean up afterwards.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
const code = await new Promise<number>(resolve => child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
await rm(directory, {recursive: true, force: true});
process.exitCode = code;
