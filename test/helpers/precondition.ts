import process from 'node:process';
import type {Implementation} from 'ava';

type Declare = {
	(title: string, implementation: Implementation<[]>): void;
	skip(title: string, implementation: Implementation<[]>): void;
};

/**
 * Declares a test that needs something of the machine (root's mount, mkfifo). `missing` says what is not there, or is
 * undefined when it is. Where it is missing, the test fails under CI=true (CI must run it) and is skipped elsewhere,
 * the reason in its title: it never passes without having tested anything.
 */
export function needing(missing: string | undefined, declare: Declare, title: string, implementation: Implementation<[]>): void {
	if (missing === undefined) declare(title, implementation);
	else if (process.env['CI'] === 'true') declare(title, t => t.fail(`${missing}: CI must run this test`));
	else declare.skip(`${title} (skipped: ${missing})`, implementation);
}
