package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// The privacy endpoints serve a person's rights over what aup keeps about
// them; the operator calls them for a request it has verified.

// exportUser answers GET /v1/privacy/users/:id/export: everything kept
// about the user, as a JSON document to download.
func (s *Server) exportUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	x, err := s.desk.Export(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="aup-export-`+x.Pseudonym+`.json"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, x)
}

// eraseUser answers DELETE /v1/privacy/users/:id.
func (s *Server) eraseUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	res, err := s.desk.Erase(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

type restrictionRequest struct {
	Restricted *bool  `json:"restricted"`
	Reason     string `json:"reason"`
}

// restrictUser answers POST /v1/privacy/users/:id/restriction.
func (s *Server) restrictUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var body restrictionRequest
	if err := decodeBody(c, maxBodyBytes, &body, false); err != nil {
		return err
	}
	if body.Restricted == nil {
		return moderation.Errorf(moderation.EINVALID, "restricted is required: true to restrict the user's processing, false to lift the restriction")
	}
	if err := checkText("reason", body.Reason, review.MaxReason, *body.Restricted); err != nil {
		return err
	}
	st, err := s.desk.Restrict(c.Request().Context(), actor(c), id, *body.Restricted, body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}
