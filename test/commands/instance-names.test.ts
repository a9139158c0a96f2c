import test, {type ExecutionContext} from 'ava';
import {initialize} from '../../source/core/initialize.ts';
import {newDeployment, type Deployment} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, parseJson, runCli, type CliOptions, type JsonError} from '../helpers/run-cli.ts';

// Issue 12, finding 12: two instances on one machine were both VM\SSRS, told apart only by id.

test.before(() => {
	assertBuilt();
});

type Row = {installationId: string; machine: string; instanceName: string; status: string};

function envFor(deployment: Deployment, instance: string) {
	return {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory(instance)};
}

async function init(t: ExecutionContext, deployment: Deployment, instance: string, args: string[] = [], options: CliOptions = {}) {
	return runCli(['init', '--json', ...args], {...options, env: envFor(deployment, instance)});
}

test('init on a machine whose default name is taken picks the next free one: SSRS, SSRS2, SSRS3', async t => {
	const deployment = await newDeployment(t);
	const names: string[] = [];
	for (const instance of ['a', 'b', 'c']) {
		const result = await init(t, deployment, instance);
		t.is(result.code, 0, result.stderr);
		const status = parseJson<{machine: string; instanceName: string}>(await runCli(['status', '--json'], {env: envFor(deployment, instance)}));
		names.push(status.instanceName);
	}

	t.deepEqual(names, ['SSRS', 'SSRS2', 'SSRS3']);
	const rows = parseJson<Row[]>(await runCli(['instance', 'list', '--json'], {env: envFor(deployment, 'a')}));
	t.deepEqual(rows.map(row => row.instanceName).sort(), ['SSRS', 'SSRS2', 'SSRS3']);
	t.is(new Set(rows.map(row => `${row.machine}\\${row.instanceName}`.toLowerCase())).size, 3);
	// Running init again changes nothing: the instance keeps its name.
	t.is((await init(t, deployment, 'b')).code, 0);
	t.is(parseJson<{instanceName: string}>(await runCli(['status', '--json'], {env: envFor(deployment, 'b')})).instanceName, 'SSRS2');
});

test('an explicit --name another instance of the catalog has on this machine is refused with INVALID_INPUT; nothing registered', async t => {
	const deployment = await newDeployment(t);
	t.is((await init(t, deployment, 'a', ['--name', 'Sales'])).code, 0);
	const a = parseJson<{installationId: string}>(await runCli(['status', '--json'], {env: envFor(deployment, 'a')}));
	const duplicate = await init(t, deployment, 'b', ['--name', 'SALES']);
	t.is(duplicate.code, 1);
	const error = parseJson<JsonError>(duplicate).error;
	t.is(error.code, 'INVALID_INPUT');
	t.true(error.message.includes(`\\Sales is already the name of instance ${a.installationId}`), error.message);
	t.regex(error.hint ?? '', /such as SALES2 \(rscm init --name SALES2\)/);
	t.is(parseJson<Row[]>(await runCli(['instance', 'list', '--json'], {env: envFor(deployment, 'a')})).length, 1);
	// The same name on another machine is another instance name: MACHINE\INSTANCE differs.
	const session = await deployment.open('c');
	await initialize(session, {name: 'Sales', machine: 'OTHER-HOST'});
	t.is(parseJson<Row[]>(await runCli(['instance', 'list', '--json'], {env: envFor(deployment, 'a')})).length, 2);
	// A registered instance is not renamed by init.
	const rename = await init(t, deployment, 'a', ['--name', 'Other']);
	t.is(parseJson<JsonError>(rename).error.code, 'INVALID_INPUT');
});

test('`rscm instance list` and `rskeymgmt -l` show what tells rows apart: name, account, registration time', async t => {
	const deployment = await newDeployment(t);
	t.is((await init(t, deployment, 'a')).code, 0);
	t.is((await init(t, deployment, 'b')).code, 0);
	const rows = parseJson<Array<Row & {serviceAccount: string}>>(await runCli(['instance', 'list', '--json'], {env: envFor(deployment, 'a')}));
	for (const output of [
		(await runCli(['instance', 'list'], {env: envFor(deployment, 'a')})).stdout,
		(await runCli(['-l', '-i', deployment.instanceDirectory('a'), '--catalog', deployment.catalogPath], {bin: 'rskeymgmt'})).stdout,
	]) {
		const [header, ...lines] = output.trimEnd().split('\n');
		t.regex(header!, /Server +Instance +Status +Installation id +Identity +Account +Registered$/);
		t.is(lines.length, 2);
		for (const row of rows) {
			const line = lines.find(entry => entry.includes(row.installationId))!;
			t.regex(line, new RegExp(`${row.machine} +${row.instanceName} +`));
			t.regex(line, new RegExp(`${row.serviceAccount} +\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC$`));
		}

		t.regex(output, /SSRS +Joined/);
		t.regex(output, /SSRS2 +Waiting to Join/);
	}
});
