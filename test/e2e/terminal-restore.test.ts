// The real program, not a fixture: conf (through when-exit) hooks the termination signals when it loads, so only the
// built rscm shows whether a dropped SSH session (SIGHUP), a SIGTERM or Ctrl+C still restore the terminal and exit
// with their own codes instead of dying by the signal mid-clean-up. Needs `npm run build` first (npm test does it).
import process from 'node:process';
import test from 'ava';
import {initializedDeployment} from '../helpers/cli-deployment.ts';
import {assertBuilt, cliPath} from '../helpers/run-cli.ts';
import {spawnTerm} from '../helpers/term.ts';

test.before(() => {
	assertBuilt();
});

const leaveAlternateScreen = '\u001B[?1049l';
const showCursor = '\u001B[?25h';

for (const [name, stop, expectedCode] of [
	['SIGHUP', 'SIGHUP', 129],
	['SIGTERM', 'SIGTERM', 143],
	['Ctrl+C', 'ctrlC', 0],
] as const) {
	test.serial(`${name}: the built rscm restores the terminal and exits with ${expectedCode}`, async t => {
		const env = (await initializedDeployment(t)).env();
		const term = spawnTerm(process.execPath, [cliPath], {env});
		t.teardown(() => term.dispose());
		await term.waitForText('Last backup');
		if (stop === 'ctrlC') await term.press('ctrlC');
		else term.kill(stop);
		const exit = await term.exit;
		t.is(exit.exitCode, expectedCode);
		t.is(exit.signal ?? 0, 0, 'it exits by itself, not killed by the signal');
		const raw = term.rawOutput();
		const restoredAt = raw.lastIndexOf(leaveAlternateScreen);
		t.true(restoredAt > 0, 'the alternate screen is left');
		t.true(raw.lastIndexOf(showCursor) > raw.lastIndexOf('\u001B[?25l'), 'the cursor is shown again');
	});
}
