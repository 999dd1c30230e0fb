package review

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/aup-dev/aup/internal/moderation"
)

// Keys of the hash banks.
const (
	idxBanks        = "banks"         // bank names by creation (ms)
	keyBank         = "bank:"         // name → moderation.Bank
	keyBankEntry    = "bank-entry:"   // id → moderation.BankEntry
	keyBankHash     = "bank-hash:"    // bank, kind and hash → entry id
	keyBanksVersion = "banks-version" // counts every change to any bank
)

func idxBankEntries(bank string) string { return "bank-entries:" + bank }

// Limits of the hash banks.
const (
	MaxBanks       = 100
	MaxBankEntries = 100
	maxBankNote    = 500
)

var bankName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// BankRequest creates or changes a bank.
type BankRequest struct {
	Name        string
	Category    moderation.Category
	Action      moderation.Action // review or block
	Distance    int               // PDQ Hamming distance, 0 to MaxBankDistance
	Description string
}

// PutBank creates bank req.Name, or changes its category, action, distance
// and description. created reports which.
func (d *Desk) PutBank(ctx context.Context, actor string, req BankRequest) (b moderation.Bank, created bool, err error) {
	switch {
	case !bankName.MatchString(req.Name):
		return b, false, moderation.Errorf(moderation.EINVALID, "a bank name is 1 to 63 lower-case letters, digits, '-' and '_', starting with a letter or digit")
	case !req.Category.Valid() || req.Category == moderation.Profanity:
		return b, false, moderation.Errorf(moderation.EINVALID, "category %q is not a violation category", req.Category)
	case req.Action != moderation.Review && req.Action != moderation.Block:
		return b, false, moderation.Errorf(moderation.EINVALID, "action must be review or block")
	case req.Distance < 0 || req.Distance > moderation.MaxBankDistance:
		return b, false, moderation.Errorf(moderation.EINVALID, "distance must be 0 to %d bits (PDQ's recommended threshold is %d)", moderation.MaxBankDistance, moderation.DefaultBankDistance)
	case len(req.Description) > maxBankNote:
		return b, false, moderation.Errorf(moderation.EINVALID, "description is longer than %d bytes", maxBankNote)
	}
	// Counted outside the transaction (fn may use only tx): two banks
	// created at once may pass the limit by one, which is harmless.
	banks, err := d.cfg.Store.Count(ctx, idxBanks)
	if err != nil {
		return b, false, err
	}
	err = d.update(ctx, func(t *txn) error {
		ok, err := t.get(keyBank+req.Name, &b)
		if err != nil {
			return err
		}
		created = !ok
		if created {
			if banks >= MaxBanks {
				return moderation.Errorf(moderation.ECONFLICT, "there are already %d banks, the most aup keeps", MaxBanks)
			}
			b = moderation.Bank{Name: req.Name, CreatedBy: actor, CreatedAt: t.now}
			t.tx.Add(idxBanks, req.Name, float64(t.now.UnixMilli()))
		}
		b.Category, b.Action, b.Distance, b.Description, b.UpdatedAt = req.Category, req.Action, req.Distance, req.Description, t.now
		t.put(keyBank+req.Name, b, 0)
		action := "hashbank.changed"
		if created {
			action = "hashbank.created"
		}
		t.audit(moderation.AuditEntry{Actor: actor, Action: action, TargetID: req.Name,
			Reason: fmt.Sprintf("category %s, action %s, distance %d", b.Category, b.Action, b.Distance)})
		return bumpBanks(t)
	})
	return b, created, err
}

// bumpBanks counts a change to the banks, so that every instance rebuilds
// its index.
func bumpBanks(t *txn) error {
	var v int64
	if _, err := t.get(keyBanksVersion, &v); err != nil {
		return err
	}
	t.put(keyBanksVersion, v+1, 0)
	return nil
}

// Bank returns bank name.
func (d *Desk) Bank(ctx context.Context, name string) (moderation.Bank, error) {
	var b moderation.Bank
	ok, err := d.load(ctx, keyBank+name, &b)
	if err == nil && !ok {
		err = notFound("bank", name)
	}
	return b, err
}

// Banks returns every bank, oldest first.
func (d *Desk) Banks(ctx context.Context) ([]moderation.Bank, error) {
	names, err := d.cfg.Store.Range(ctx, idxBanks, RangeQuery{Min: math.Inf(-1), Max: math.Inf(1)})
	if err != nil {
		return nil, fmt.Errorf("list banks: %w", err)
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = keyBank + n.Member
	}
	docs, err := d.cfg.Store.GetMany(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read banks: %w", err)
	}
	out := []moderation.Bank{}
	for i, doc := range docs {
		if doc == nil {
			continue // deleted meanwhile
		}
		var b moderation.Bank
		if err := json.Unmarshal(doc, &b); err != nil {
			return nil, fmt.Errorf("decode %s: %w", keys[i], err)
		}
		out = append(out, b)
	}
	return out, nil
}

// DeleteBank deletes bank name, which must be empty: deleting thousands of
// entries is not one request's work, and an operator should see what goes.
func (d *Desk) DeleteBank(ctx context.Context, actor, name string) error {
	return d.update(ctx, func(t *txn) error {
		var b moderation.Bank
		if ok, err := t.get(keyBank+name, &b); err != nil {
			return err
		} else if !ok {
			return notFound("bank", name)
		}
		if b.Entries > 0 {
			return moderation.Errorf(moderation.ECONFLICT, "bank %s still has %d entries; delete them first", name, b.Entries)
		}
		t.tx.Delete(keyBank + name)
		t.tx.Remove(idxBanks, name)
		t.audit(moderation.AuditEntry{Actor: actor, Action: "hashbank.deleted", TargetID: name})
		return bumpBanks(t)
	})
}

// BankEntryRequest adds a hash to a bank.
type BankEntryRequest struct {
	Kind       moderation.HashKind
	Hash       string // 64 hex digits
	Note       string
	DecisionID string
}

// AddBankEntry adds a hash to bank. A hash already in the bank is not
// added twice: its entry is returned with created false.
func (d *Desk) AddBankEntry(ctx context.Context, actor, bank string, req BankEntryRequest) (e moderation.BankEntry, created bool, err error) {
	req.Hash = strings.ToLower(req.Hash)
	switch {
	case !req.Kind.Valid():
		return e, false, moderation.Errorf(moderation.EINVALID, "kind must be pdq or sha256")
	case !isHex64(req.Hash):
		return e, false, moderation.Errorf(moderation.EINVALID, "a %s hash is 64 hex digits", req.Kind)
	case len(req.Note) > maxBankNote:
		return e, false, moderation.Errorf(moderation.EINVALID, "note is longer than %d bytes", maxBankNote)
	}
	err = d.update(ctx, func(t *txn) error {
		var b moderation.Bank
		if ok, err := t.get(keyBank+bank, &b); err != nil {
			return err
		} else if !ok {
			return moderation.Errorf(moderation.ENOTFOUND, "bank %s not found; create it first with PUT /v1/hashbanks/%s", bank, bank)
		}
		if e, created, err = addBankEntry(t, &b, actor, req); err != nil || !created {
			return err
		}
		return bumpBanks(t)
	})
	return e, created, err
}

// addBankEntry adds a checked, lower-case hash to bank b, read in t, unless
// the bank already holds it: then created is false and e is the entry that
// does. The caller bumps the banks version.
func addBankEntry(t *txn, b *moderation.Bank, actor string, req BankEntryRequest) (e moderation.BankEntry, created bool, err error) {
	hashKey := bankHashKey(b.Name, req.Kind, req.Hash)
	var id string
	if ok, err := t.get(hashKey, &id); err != nil {
		return e, false, err
	} else if ok {
		if ok, err := t.get(keyBankEntry+id, &e); err != nil {
			return e, false, err
		} else if !ok {
			return e, false, fmt.Errorf("bank entry %s is indexed but missing", id)
		}
		return e, false, nil
	}
	e = moderation.BankEntry{ID: newID("bke", t.now), Bank: b.Name, Kind: req.Kind, Hash: req.Hash, Note: req.Note,
		DecisionID: req.DecisionID, AddedBy: actor, AddedAt: t.now}
	t.put(keyBankEntry+e.ID, e, 0)
	t.put(hashKey, e.ID, 0)
	t.tx.Add(idxBankEntries(b.Name), e.ID, float64(t.now.UnixMilli()))
	b.Entries++
	t.put(keyBank+b.Name, b, 0)
	t.audit(moderation.AuditEntry{Actor: actor, Action: "hashbank.entry_added", TargetID: e.ID, DecisionID: req.DecisionID,
		Reason: fmt.Sprintf("%s hash added to bank %s", req.Kind, b.Name)})
	return e, true, nil
}

func bankHashKey(bank string, kind moderation.HashKind, hash string) string {
	return keyBankHash + bank + ":" + string(kind) + ":" + hash
}

// addToBank adds the hashes of the upload c is about to bank, for dec, and
// lists on dec the entries it created; hashes already in the bank are left
// as they are.
func addToBank(t *txn, bank string, c *moderation.Case, dec *moderation.Decision) error {
	var b moderation.Bank
	if ok, err := t.get(keyBank+bank, &b); err != nil {
		return err
	} else if !ok {
		return moderation.Errorf(moderation.EINVALID, "add_to_bank: bank %s does not exist; create it first with PUT /v1/hashbanks/%s", bank, bank)
	}
	for _, req := range uploadHashes(c.File) {
		req.Note, req.DecisionID = "removed by decision "+dec.ID, dec.ID
		e, created, err := addBankEntry(t, &b, dec.Moderator, req)
		if err != nil {
			return err
		}
		if created {
			dec.BankEntries = append(dec.BankEntries, e.ID)
		}
	}
	if len(dec.BankEntries) == 0 {
		return nil
	}
	return bumpBanks(t)
}

// uploadHashes lists the hashes of f a bank takes, each once: the file's
// SHA-256, and each image's SHA-256 and PDQ hash, if of at least
// moderation.MinPDQQuality. A hash that is not 64 hex digits is left out
// rather than stored where it would break the matching index.
func uploadHashes(f *moderation.FileInfo) []BankEntryRequest {
	var out []BankEntryRequest
	add := func(kind moderation.HashKind, hash string) {
		r := BankEntryRequest{Kind: kind, Hash: strings.ToLower(hash)}
		if isHex64(r.Hash) && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	add(moderation.HashSHA256, f.SHA256)
	for _, im := range f.Images {
		add(moderation.HashSHA256, im.SHA256)
		if im.PDQQuality >= moderation.MinPDQQuality {
			add(moderation.HashPDQ, im.PDQ) // "" when the image could not be decoded
		}
	}
	return out
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// BankEntries returns up to limit entries of bank, oldest first, from
// position offset, and the offset of the next page (0 after the last).
func (d *Desk) BankEntries(ctx context.Context, bank string, offset, limit int) ([]moderation.BankEntry, int, error) {
	if _, err := d.Bank(ctx, bank); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > MaxBankEntries {
		limit = MaxBankEntries
	}
	out, err := d.bankEntries(ctx, bank, offset, limit)
	if err != nil {
		return nil, 0, err
	}
	next := 0
	if len(out) == limit {
		next = offset + limit
	}
	return out, next, nil
}

func (d *Desk) bankEntries(ctx context.Context, bank string, offset, limit int) ([]moderation.BankEntry, error) {
	ids, err := d.cfg.Store.Range(ctx, idxBankEntries(bank), RangeQuery{Min: math.Inf(-1), Max: math.Inf(1), Offset: offset, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("list bank %s: %w", bank, err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = keyBankEntry + id.Member
	}
	docs, err := d.cfg.Store.GetMany(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read bank %s: %w", bank, err)
	}
	out := make([]moderation.BankEntry, 0, len(docs))
	for i, doc := range docs {
		if doc == nil {
			continue // deleted meanwhile
		}
		var e moderation.BankEntry
		if err := json.Unmarshal(doc, &e); err != nil {
			return nil, fmt.Errorf("decode %s: %w", keys[i], err)
		}
		out = append(out, e)
	}
	return out, nil
}

// DeleteBankEntry removes entry id from bank.
func (d *Desk) DeleteBankEntry(ctx context.Context, actor, bank, id string) error {
	return d.update(ctx, func(t *txn) error {
		var e moderation.BankEntry
		if ok, err := t.get(keyBankEntry+id, &e); err != nil {
			return err
		} else if !ok || e.Bank != bank {
			return moderation.Errorf(moderation.ENOTFOUND, "entry %s not found in bank %s", id, bank)
		}
		var b moderation.Bank
		if _, err := t.get(keyBank+bank, &b); err != nil {
			return err
		}
		deleteBankEntry(t, &b, e, moderation.AuditEntry{Actor: actor, Reason: "removed from bank " + bank})
		return bumpBanks(t)
	})
}

// deleteBankEntry removes entry e from its bank b, both read in t, and
// audits it as a (actor, reason and the decision, if any). The caller bumps
// the banks version.
func deleteBankEntry(t *txn, b *moderation.Bank, e moderation.BankEntry, a moderation.AuditEntry) {
	b.Entries = max(0, b.Entries-1)
	t.put(keyBank+e.Bank, b, 0)
	t.tx.Delete(keyBankEntry + e.ID)
	t.tx.Delete(bankHashKey(e.Bank, e.Kind, e.Hash))
	t.tx.Remove(idxBankEntries(e.Bank), e.ID)
	a.Action, a.TargetID = "hashbank.entry_deleted", e.ID
	t.audit(a)
}

// unbank deletes the bank entries that decision orig added and that are
// still there, as appeal decision by reverses it, and reports whether it
// deleted any.
func unbank(t *txn, orig, by *moderation.Decision) (bool, error) {
	banks := map[string]*moderation.Bank{}
	deleted := false
	for _, id := range orig.BankEntries {
		var e moderation.BankEntry
		if ok, err := t.get(keyBankEntry+id, &e); err != nil {
			return false, err
		} else if !ok {
			continue // deleted by hand since
		}
		b := banks[e.Bank]
		if b == nil {
			// Read once: a read does not see this transaction's writes.
			b = new(moderation.Bank)
			if _, err := t.get(keyBank+e.Bank, b); err != nil {
				return false, err
			}
			banks[e.Bank] = b
		}
		deleteBankEntry(t, b, e, moderation.AuditEntry{Actor: by.Moderator, CaseID: by.CaseID, DecisionID: by.ID,
			Reason: fmt.Sprintf("removed from bank %s: decision %s was reversed on appeal", e.Bank, orig.ID)})
		deleted = true
	}
	if !deleted {
		return false, nil
	}
	return true, bumpBanks(t)
}

// BanksVersion returns the number of changes made to the banks so far: an
// index built at this version is current until it grows.
func (d *Desk) BanksVersion(ctx context.Context) (int64, error) {
	var v int64
	_, err := d.load(ctx, keyBanksVersion, &v)
	return v, err
}

// BankSnapshot returns every bank and entry and the version they are at,
// to build a matching index from. The version is read first: a change made
// while reading is seen at the next poll.
func (d *Desk) BankSnapshot(ctx context.Context) (int64, []moderation.Bank, []moderation.BankEntry, error) {
	v, err := d.BanksVersion(ctx)
	if err != nil {
		return 0, nil, nil, err
	}
	banks, err := d.Banks(ctx)
	if err != nil {
		return 0, nil, nil, err
	}
	entries := []moderation.BankEntry{}
	for _, b := range banks {
		for offset := 0; ; offset += 1000 {
			page, err := d.bankEntries(ctx, b.Name, offset, 1000)
			if err != nil {
				return 0, nil, nil, err
			}
			entries = append(entries, page...)
			if len(page) < 1000 {
				break
			}
		}
	}
	return v, banks, entries, nil
}
