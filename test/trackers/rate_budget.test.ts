/**
 * The client side of a backend's rate limits (src/trackers/remote/pacer.ts), on a clock the test gives: what a window
 * lets through, and how an entry counts from the answer of its request.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RateBudget } from '../../src/trackers/remote/pacer.js';

describe('RateBudget', () => {
  test('lets `limit` units through a window, then says how long until the oldest leave it (and a margin)', () => {
    const budget = new RateBudget({ limit: 10, windowMs: 2_000 });
    assert.equal(budget.waitFor(6, 0), 0);
    budget.spend(6, 0);
    budget.spend(4, 500);
    assert.equal(budget.waitFor(1, 1_000), 2_000 + 100 - 1_000 + 1); // the window, 5 % margin, then one ms
    assert.equal(budget.waitFor(1, 2_101), 0);
  });

  test('an answered request counts from its answer: a slow one leaves the window no sooner than the server’s', () => {
    // Sent at 0, answered at 800: the server took it at some moment in between, perhaps at 790.
    const budget = new RateBudget({ limit: 10, windowMs: 2_000 });
    const entry = budget.spend(10, 0);
    budget.answered(entry, 800);
    budget.answered(entry, 400); // an earlier time changes nothing
    assert.equal(budget.waitFor(1, 2_101), 800, 'still in the window 2.1 s after sending');
    assert.equal(budget.waitFor(1, 2_000 + 100 + 800), 0);
  });

  test('entries answered out of order still leave the window oldest first', () => {
    const budget = new RateBudget({ limit: 10, windowMs: 1_000 });
    const first = budget.spend(5, 0);
    budget.spend(5, 10);
    budget.answered(first, 600);
    // At 1 111 the second (10) has left, the first (600) has not: 5 units are free.
    assert.equal(budget.waitFor(5, 1_111), 0);
    assert.ok(budget.waitFor(6, 1_111) > 0);
  });
});
