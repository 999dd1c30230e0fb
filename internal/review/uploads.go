package review

import (
	"context"
	"fmt"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// DefaultUploadMemory is how long the desk remembers a screened upload when
// Config.UploadMemory is zero: reports about an upload normally come within
// weeks of it, and what is remembered is small: hashes, media types, sizes
// and the paths of images (the file's or members' names), never content.
const DefaultUploadMemory = 90 * 24 * time.Hour

// keyUploadFile holds the FileInfo of a screened upload by content id, for a
// report about it.
const keyUploadFile = "upload-file:"

// idxUploads indexes remembered uploads by when they were remembered, as
// "<user id>\x00<content id>", so that the purge can take an upload that
// expired out of its author's subject index.
const idxUploads = "uploads"

func uploadMember(userID, contentID string) string { return userID + "\x00" + contentID }

// uploadDoc is a remembered upload.
type uploadDoc struct {
	File   moderation.FileInfo `json:"file"`
	UserID string              `json:"user_id,omitempty"`
}

// RememberUpload keeps what screening found out about the upload contentID
// by userID (its FileInfo: hashes, media types, sizes and image paths; never
// its content) for Config.UploadMemory, replacing what was kept before: the
// product may replace the file under the same content id. Most uploads that
// need removing pass screening and are reported later; a report about the
// upload then opens a case that has the file's hashes, so that a removal
// can add them to a hash bank. Without a content id it returns EINVALID.
func (d *Desk) RememberUpload(ctx context.Context, contentID, userID string, f moderation.FileInfo) error {
	if contentID == "" {
		return moderation.Errorf(moderation.EINVALID, "content_id is required to remember an upload")
	}
	doc := uploadDoc{File: f, UserID: userID}
	err := d.update(ctx, func(t *txn) error {
		// The same content id remembered for another user before: it is
		// no longer theirs.
		var old uploadDoc
		if ok, err := t.get(keyUploadFile+contentID, &old); err != nil {
			return err
		} else if ok && old.UserID != "" && old.UserID != userID {
			t.tx.Remove(idxSubject(old.UserID), keyUploadFile+contentID)
			t.tx.Remove(idxUploads, uploadMember(old.UserID, contentID))
		}
		t.put(keyUploadFile+contentID, doc, d.cfg.UploadMemory)
		if userID != "" {
			t.tx.Add(idxSubject(userID), keyUploadFile+contentID, float64(t.now.UnixMilli()))
			t.tx.Add(idxUploads, uploadMember(userID, contentID), float64(t.now.UnixMilli()))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remember upload: %w", err)
	}
	return nil
}

// attachUpload gives a case about an upload that has no file yet the
// remembered one, if any, and its author if the case names none. A case
// that has a file keeps it: it is the file screening sent to review, which
// a moderator may be looking at already.
func attachUpload(t *txn, c *moderation.Case) error {
	if c.Target.Type != moderation.TargetUpload || c.File != nil {
		return nil
	}
	var doc uploadDoc
	if ok, err := t.get(keyUploadFile+c.Target.ID, &doc); err != nil || !ok {
		return err
	}
	c.File = &doc.File
	if c.Target.UserID == "" {
		c.Target.UserID = doc.UserID
	}
	return nil
}
