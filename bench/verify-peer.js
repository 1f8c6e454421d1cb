// SPDX-License-Identifier: MIT
// dcap-qvl, measured like verify-bench: verifications per CPU second of one
// quote with its collateral at a fixed time, median of 5 rounds, for the
// pure-JS package (@phala/dcap-qvl) and the WASM one (@phala/dcap-qvl-web).
// Each call verifies everything again: dcap-qvl keeps no state between
// calls, so this is its "new verifier per quote" and its "cached" path at once.
// Usage: node verify-peer.js MODULES_DIR QUOTE COLLATERAL_JSON NOW_UNIX [SECONDS]
'use strict';
const fs = require('fs');
const path = require('path');

const [modules, quoteFile, collateralFile, nowArg, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg || 2);
const quote = fs.readFileSync(quoteFile);
const collateral = JSON.parse(fs.readFileSync(collateralFile, 'utf8'));
const now = Number(nowArg);

function cpuSeconds() {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
}

function rate(verifyOnce) {
    verifyOnce();
    let n = 0;
    const t0 = cpuSeconds();
    let t;
    do {
        for (let i = 0; i < 8; i++)
            verifyOnce();
        n += 8;
        t = cpuSeconds();
    } while (t - t0 < seconds);
    return n / (t - t0);
}

function rounds(verifyOnce) {
    const r = [];
    for (let i = 0; i < 5; i++)
        r.push(rate(verifyOnce));
    r.sort((a, b) => a - b);
    return { median: Math.round(r[2]), min: Math.round(r[0]), max: Math.round(r[4]) };
}

const out = { benchmark: 'verify-peer', quote: quoteFile, collateral: collateralFile, now };
const js = require(path.join(modules, '@phala/dcap-qvl'));
const jsResult = js.verify(quote, collateral, now);
out.js = { package: '@phala/dcap-qvl', version: require(path.join(modules, '@phala/dcap-qvl/package.json')).version,
           status: jsResult.status, advisory_ids: jsResult.advisory_ids,
           per_second: rounds(() => js.verify(quote, collateral, now)) };
const wasmDir = path.join(modules, '@phala/dcap-qvl-web');
import(path.join(wasmDir, 'dcap-qvl-web.js')).then((wasm) => {
    wasm.initSync({ module: fs.readFileSync(path.join(wasmDir, 'dcap-qvl-web_bg.wasm')) });
    const q = new Uint8Array(quote);
    const r = wasm.js_verify(q, collateral, BigInt(now));
    out.wasm = { package: '@phala/dcap-qvl-web', version: require(path.join(wasmDir, 'package.json')).version,
                 status: r.status, advisory_ids: r.advisory_ids,
                 per_second: rounds(() => wasm.js_verify(q, collateral, BigInt(now))) };
    console.log(JSON.stringify(out));
}).catch((e) => {
    out.wasm = { error: String(e) };
    console.log(JSON.stringify(out));
});
