package httpapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/upload"
)

// UploadScanner screens an uploaded file. *upload.Scanner is one. Errors
// are *moderation.Error as for Screener; ETOOLARGE and EUNPROCESSABLE carry
// a message for the caller.
type UploadScanner interface {
	Scan(ctx context.Context, f upload.File) (upload.Result, error)
}

// Defaults of the upload settings of Config.
const (
	DefaultMaxUploadBytes    = 64 << 20
	DefaultUploadTimeout     = 5 * time.Minute
	DefaultUploadsInProgress = 16
)

// multipartOverhead is what the multipart framing and the id fields may
// add to the file: boundaries, part headers, user_id and content_id.
const multipartOverhead = 64 << 10

// fileResponse describes the upload in a verdict.
type fileResponse struct {
	moderation.FileInfo
	Images        []moderation.ImageInfo `json:"images"`
	Members       int                    `json:"members"`
	TextBytes     int                    `json:"text_bytes"`
	TextTruncated bool                   `json:"text_truncated"`
}

// checkUpload handles POST /v1/check/upload: a multipart/form-data body with
// a file field and optional user_id and content_id fields. The file is
// spooled to a temporary file (hashed on the way) and never held in memory,
// then screened; the verdict has the shape of /v1/check's plus "file".
func (s *Server) checkUpload(c echo.Context) error {
	r := c.Request()
	mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return moderation.Errorf(codeUnsupportedMediaType, "Content-Type must be multipart/form-data with a boundary, the file in a field named file")
	}
	limit := s.maxUpload + multipartOverhead // a longer declared length was refused by limitBody
	if err := s.uploads.enter(c); err != nil {
		return err
	}
	defer s.uploads.leave()
	// A large file on a slow link takes longer than the server's timeouts
	// allow a JSON request.
	rc := http.NewResponseController(c.Response().Writer)
	deadline := time.Now().Add(s.uploadTimeout)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)

	ctx := r.Context()
	form, err := s.readUpload(multipart.NewReader(http.MaxBytesReader(c.Response().Writer, r.Body, limit), params["boundary"]))
	if form.spool != nil {
		defer func() {
			form.spool.Close()
			if err := os.Remove(form.spool.Name()); err != nil {
				s.log.WarnContext(ctx, "remove spooled upload", "error", err.Error())
			}
		}()
	}
	if err != nil {
		return err
	}
	res, err := s.scanner.Scan(ctx, form.file)
	if err != nil {
		return err
	}
	if form.contentID != "" && s.desk != nil {
		// Kept for a report about the upload; failing loses only that.
		if err := s.desk.RememberUpload(ctx, form.contentID, form.userID, res.File); err != nil {
			s.log.WarnContext(ctx, "remember upload for reports", "code", moderation.ErrorCode(err))
		}
	}
	content := moderation.Content{Text: res.Excerpts, UserID: form.userID, ContentID: form.contentID, File: &res.File}
	out, err := s.annotate(ctx, content, res.Verdict)
	if err != nil {
		return err
	}
	s.countVerdicts(res.Verdict)
	out.File = &fileResponse{FileInfo: res.File, Images: res.File.Images, Members: res.Members, TextBytes: res.TextBytes, TextTruncated: res.TextTruncated}
	if out.File.Images == nil {
		out.File.Images = []moderation.ImageInfo{}
	}
	return c.JSON(http.StatusOK, out)
}

// uploadForm is a parsed upload request.
type uploadForm struct {
	file              upload.File
	spool             *os.File // the caller closes and removes it
	userID, contentID string
}

// readUpload reads the multipart body: the file is spooled to a temporary
// file and hashed, the id fields validated.
func (s *Server) readUpload(mr *multipart.Reader) (uploadForm, error) {
	var form uploadForm
	seen := map[string]bool{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return form, multipartError(err)
		}
		name := p.FormName()
		if seen[name] {
			return form, moderation.Errorf(moderation.EINVALID, "field %s appears twice; send one file per request", quoteField(name))
		}
		seen[name] = true
		switch name {
		case "file":
			if err := s.spool(p, &form); err != nil {
				return form, err
			}
		case "user_id", "content_id":
			b, err := io.ReadAll(io.LimitReader(p, MaxIDBytes+1))
			if err != nil {
				return form, multipartError(err)
			}
			if err := validateID(name, string(b)); err != nil {
				return form, err
			}
			if name == "user_id" {
				form.userID = string(b)
			} else {
				form.contentID = string(b)
			}
		default:
			return form, unknownField("", name, []string{"file", "user_id", "content_id"})
		}
	}
	if form.spool == nil {
		return form, moderation.Errorf(moderation.EINVALID, "file is required: send the upload in a multipart field named file")
	}
	return form, nil
}

// spool copies the file part to a temporary file, hashing it on the way.
func (s *Server) spool(p *multipart.Part, form *uploadForm) error {
	f, err := os.CreateTemp(s.uploadDir, "aup-upload-*")
	if err != nil {
		return fmt.Errorf("spool upload: %w", err)
	}
	form.spool = f
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(p, s.maxUpload+1))
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("spool upload: %w", err) // our disk, not the request
		}
		return multipartError(err)
	}
	if n > s.maxUpload {
		return moderation.Errorf(moderation.ETOOLARGE, "file is over %d bytes, the largest screened", s.maxUpload)
	}
	form.file = upload.File{R: f, Size: n, Name: p.FileName(), ContentType: p.Header.Get(echo.HeaderContentType)}
	h.Sum(form.file.SHA256[:0])
	return nil
}

// multipartError translates an error reading the multipart body.
func multipartError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return moderation.Errorf(moderation.ETOOLARGE, "request body is over %d bytes", mbe.Limit)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return moderation.Errorf(moderation.EINVALID, "the multipart body ends before its closing boundary")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return moderation.Errorf(moderation.EINVALID, "the upload took too long to arrive")
	}
	return moderation.Errorf(moderation.EINVALID, "malformed multipart body: %s", shorten(err.Error()))
}
