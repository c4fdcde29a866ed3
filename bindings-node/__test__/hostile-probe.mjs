// The hostile suite's memory probe, run by hostile.test.mjs in a child `node --expose-gc`: the
// table's memory cases (endless and oversized answers) against the servers in AZMI_HOSTILE_INFO,
// `warmup_rounds` times and then `rounds` times; prints the resident set before and after the
// measured rounds (after a full collection) as JSON.
import assert from 'node:assert/strict'

import { Hostile, TABLE, call, rejection } from './hostile.mjs'

const hostile = new Hostile().attach(JSON.parse(process.env.AZMI_HOSTILE_INFO))
const { servers, warmup_rounds: warmup, rounds } = TABLE.memory
const cases = TABLE.cases.filter((c) => servers.includes(c.server))

async function round() {
  for (const c of cases) {
    const { err } = await rejection(call(hostile, c).run)
    assert.ok(c.codes.includes(err.code), `${c.case}: ${err.code}: ${err.message}`)
  }
}

const rss = () => { global.gc(); return process.memoryUsage().rss / 1e6 }
for (let i = 0; i < warmup; i++) await round()
const beforeMb = rss()
for (let i = 0; i < rounds; i++) await round()
console.log(JSON.stringify({ cases: cases.length, beforeMb, afterMb: rss() }))
