# An independent MRTD calculation for the tests, written from the TDX module
# ABI and OVMF's metadata layout rather than from libtdxhost's C code.
# Input: the firmware as `od -An -v -tx1` output. Output: the byte stream the
# TDX module hashes, as uppercase hex lines (feed to basenc --base16 -d | sha384sum).
# Usage: od -An -v -tx1 OVMF.fd | awk -v order=per-page|two-pass -f mrtd-reference.awk
function u(off, n,    v, i) { v = 0; for (i = n - 1; i >= 0; i--) v = v * 256 + hexval[b[off + i]]; return v }
function le64hex(v,    s, i, byte) {
    s = ""
    for (i = 0; i < 8; i++) { byte = v % 256; s = s sprintf("%02X", byte); v = (v - byte) / 256 }
    return s
}
function zeros(n,    s) { s = ""; while (n-- > 0) s = s "00"; return s }
function page_add(gpa) { print "4D454D2E504147452E414444" zeros(4) le64hex(gpa) zeros(104) }
function extend(sec, page,    c, off, gpa, data, i) {
    for (c = 0; c < 16; c++) {
        off = page * 4096 + c * 256
        gpa = addr[sec] + off
        data = ""
        for (i = 0; i < 256; i++)
            data = data (off + i < raw[sec] ? toupper(b[doff[sec] + off + i]) : "00")
        print "4D522E455854454E44" zeros(7) le64hex(gpa) zeros(104) data
    }
}
BEGIN { for (i = 0; i < 256; i++) hexval[sprintf("%02x", i)] = i }
{ for (i = 1; i <= NF; i++) b[n++] = $i }
END {
    # GUID table: ends 0x20 before the end; walk back to e47a6535-984a-4798-865e-4685a7bf8ec2.
    end = n - 32
    tlen = u(end - 18, 2)
    start = end - tlen
    p = end - 18
    meta = -1
    while (p > start) {
        g = ""
        for (i = 0; i < 16; i++) g = g b[p - 16 + i]
        len = u(p - 18, 2)
        if (g == "35657ae44a989847865e4685a7bf8ec2") { meta = n - u(p - 22, 4); break }
        p -= len
    }
    if (meta < 0) { print "no TDX metadata" > "/dev/stderr"; exit 1 }
    nsec = u(meta + 12, 4)
    for (s = 0; s < nsec; s++) {
        e = meta + 16 + 32 * s
        doff[s] = u(e, 4); raw[s] = u(e + 4, 4); addr[s] = u(e + 8, 8); size[s] = u(e + 16, 8)
        attr[s] = u(e + 28, 4)
    }
    for (s = 0; s < nsec; s++) {
        pages = size[s] / 4096
        add = int(attr[s] / 2) % 2 == 0
        ext = attr[s] % 2 == 1
        if (order == "two-pass") {
            for (pg = 0; add && pg < pages; pg++) page_add(addr[s] + pg * 4096)
            for (pg = 0; ext && pg < pages; pg++) extend(s, pg)
        } else {
            for (pg = 0; pg < pages; pg++) {
                if (add) page_add(addr[s] + pg * 4096)
                if (ext) extend(s, pg)
            }
        }
    }
}
