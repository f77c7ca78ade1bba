// tlog_interop checks our chain with the reference implementation of the transparency-log
// formats, Go's golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's
// golang-golang-x-mod-dev), built offline by CMake (tests/CMakeLists.txt). Our tile paths
// are C2SP's (tile/L/N), sumdb's carry the height (tile/8/L/N): the reader maps them.
//
//	tlog_interop verify BASE_URL VKEY OLD_SIZE OLD_ROOT LEAF_INDEX LEAF_HASH
//	    fetches BASE_URL/checkpoint, verifies its signature with VKEY, reads tiles to check
//	    the checkpoint's root, an inclusion proof of LEAF_HASH (hex) at LEAF_INDEX and a
//	    consistency proof from OLD_SIZE/OLD_ROOT (base64); prints one "ok ..." line each.
//	tlog_interop cosigned BASE_URL VKEY WITNESS_VKEY...
//	    fetches BASE_URL/checkpoint and verifies the log's signature and a cosignature
//	    (c2sp.org/tlog-cosignature, type 0x04) of every witness; prints "ok cosigned by ..." each.
//	tlog_interop sign NAME TEXT
//	    makes a key named NAME, prints its verifier key on the first line, then TEXT (and a
//	    newline) signed.
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL "+format+"\n", args...)
	os.Exit(1)
}

func get(url string) []byte {
	resp, err := http.Get(url)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		fail("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return body
}

type tiles struct{ base string }

func (t tiles) Height() int { return 8 }
func (t tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		out[i] = get(t.base + "/" + strings.Replace(tile.Path(), "tile/8/", "tile/", 1))
	}
	return out, nil
}
func (t tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func parseHash(b64 string) tlog.Hash {
	h, err := tlog.ParseHash(b64)
	if err != nil {
		fail("hash %q: %v", b64, err)
	}
	return h
}

func verify(base, vkey string, oldSize int64, oldRoot tlog.Hash, index int64, leaf tlog.Hash) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open(get(base+"/checkpoint"), note.VerifierList(v))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		fail("checkpoint text %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size %q", lines[1])
	}
	root := parseHash(lines[2])
	fmt.Printf("ok checkpoint %s %d signed by %s\n", lines[0], size, n.Sigs[0].Name)

	r := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, tiles{base})
	th, err := tlog.TreeHash(size, r)
	if err != nil || th != root {
		fail("tree hash from tiles: %v", err)
	}
	fmt.Printf("ok tiles give the root %s\n", th)
	rp, err := tlog.ProveRecord(size, index, r)
	if err != nil {
		fail("inclusion proof from tiles: %v", err)
	}
	if err := tlog.CheckRecord(rp, size, root, index, leaf); err != nil {
		fail("inclusion proof: %v", err)
	}
	var other tlog.Hash
	if tlog.CheckRecord(rp, size, root, index, other) == nil {
		fail("an inclusion proof of another leaf verified")
	}
	fmt.Printf("ok inclusion of leaf %d (%d hashes)\n", index, len(rp))
	tp, err := tlog.ProveTree(size, oldSize, r)
	if err != nil {
		fail("consistency proof from tiles: %v", err)
	}
	if err := tlog.CheckTree(tp, size, root, oldSize, oldRoot); err != nil {
		fail("consistency proof: %v", err)
	}
	fmt.Printf("ok consistency %d -> %d (%d hashes)\n", oldSize, size, len(tp))
}

// cosigVerifier verifies c2sp.org/tlog-cosignature lines (Debian's note 0.7 knows only type
// 0x01): the key ID is SHA-256(name || "\n" || 0x04 || key)[:4], the signature is an 8-byte
// big-endian Unix time and an Ed25519 signature of "cosignature/v1\ntime <t>\n" + the text.
type cosigVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
	seen *uint64
}

func (v cosigVerifier) Name() string    { return v.name }
func (v cosigVerifier) KeyHash() uint32 { return v.hash }
func (v cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
	if !ed25519.Verify(v.key, signed, sig[8:]) {
		return false
	}
	*v.seen = t
	return true
}

func newCosigVerifier(vkey string) cosigVerifier {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		fail("witness key %q", vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x04 {
		fail("witness key %q is not a type 0x04 Ed25519 key", vkey)
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	id := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", id) != parts[1] {
		fail("witness key %q: key ID does not match", vkey)
	}
	return cosigVerifier{parts[0], id, ed25519.PublicKey(append([]byte(nil), raw[1:]...)), new(uint64)}
}

func cosigned(base, vkey string, witnesses []string) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	verifiers := []note.Verifier{v}
	var cos []cosigVerifier
	for _, w := range witnesses {
		c := newCosigVerifier(w)
		cos = append(cos, c)
		verifiers = append(verifiers, c)
	}
	n, err := note.Open(get(base+"/checkpoint"), note.VerifierList(verifiers...))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	signedBy := map[string]bool{}
	for _, s := range n.Sigs {
		signedBy[s.Name] = true
	}
	if !signedBy[v.Name()] {
		fail("no signature of the log %s", v.Name())
	}
	for _, c := range cos {
		if !signedBy[c.name] || *c.seen == 0 {
			fail("no cosignature of %s", c.name)
		}
		fmt.Printf("ok cosigned by %s at %d\n", c.name, *c.seen)
	}
	if len(n.UnverifiedSigs) != 0 {
		fail("%d signatures verified by no key", len(n.UnverifiedSigs))
	}
}

func main() {
	if len(os.Args) >= 5 && os.Args[1] == "cosigned" {
		cosigned(strings.TrimSuffix(os.Args[2], "/"), os.Args[3], os.Args[4:])
		return
	}
	if len(os.Args) == 8 && os.Args[1] == "verify" {
		oldSize, err1 := strconv.ParseInt(os.Args[4], 10, 64)
		index, err2 := strconv.ParseInt(os.Args[6], 10, 64)
		leafBytes, err3 := hex.DecodeString(os.Args[7])
		if err1 != nil || err2 != nil || err3 != nil || len(leafBytes) != 32 {
			fail("bad arguments")
		}
		var leaf tlog.Hash
		copy(leaf[:], leafBytes)
		verify(strings.TrimSuffix(os.Args[2], "/"), os.Args[3], oldSize, parseHash(os.Args[5]), index, leaf)
		return
	}
	if len(os.Args) == 4 && os.Args[1] == "sign" {
		skey, vkey, err := note.GenerateKey(rand.Reader, os.Args[2])
		if err != nil {
			fail("key: %v", err)
		}
		signer, err := note.NewSigner(skey)
		if err != nil {
			fail("signer: %v", err)
		}
		msg, err := note.Sign(&note.Note{Text: os.Args[3] + "\n"}, signer)
		if err != nil {
			fail("sign: %v", err)
		}
		fmt.Printf("%s\n%s", vkey, msg)
		return
	}
	fmt.Fprintln(os.Stderr, "usage: tlog_interop verify BASE_URL VKEY OLD_SIZE OLD_ROOT LEAF_INDEX LEAF_HASH | cosigned BASE_URL VKEY WITNESS_VKEY... | sign NAME TEXT")
	os.Exit(2)
}
