package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// routeBanks mounts the hash banks' endpoints, all for admins.
func (s *Server) routeBanks(e *echo.Echo) {
	admin := s.require(RoleAdmin)
	e.GET("/v1/hashbanks", s.listBanks, admin)
	e.PUT("/v1/hashbanks/:bank", s.putBank, admin)
	e.GET("/v1/hashbanks/:bank", s.getBank, admin)
	e.DELETE("/v1/hashbanks/:bank", s.deleteBank, admin)
	e.POST("/v1/hashbanks/:bank/entries", s.addBankEntry, admin)
	e.GET("/v1/hashbanks/:bank/entries", s.listBankEntries, admin)
	e.DELETE("/v1/hashbanks/:bank/entries/:id", s.deleteBankEntry, admin)
}

type bankRequest struct {
	Category    moderation.Category `json:"category"`
	Action      moderation.Action   `json:"action"`
	Distance    *int                `json:"distance"`
	Description string              `json:"description"`
}

// putBank handles PUT /v1/hashbanks/:bank: create the bank, or change it.
func (s *Server) putBank(c echo.Context) error {
	var body bankRequest
	if err := decodeBody(c, maxBodyBytes, &body, false); err != nil {
		return err
	}
	if body.Category == "" || body.Action == "" {
		return moderation.Errorf(moderation.EINVALID, "category and action (review or block) are required")
	}
	req := review.BankRequest{Name: c.Param("bank"), Category: body.Category, Action: body.Action,
		Distance: moderation.DefaultBankDistance, Description: body.Description}
	if body.Distance != nil {
		req.Distance = *body.Distance
	}
	b, created, err := s.desk.PutBank(c.Request().Context(), actor(c), req)
	if err != nil {
		return err
	}
	s.banksChanged()
	if created {
		return c.JSON(http.StatusCreated, b)
	}
	return c.JSON(http.StatusOK, b)
}

func (s *Server) listBanks(c echo.Context) error {
	if err := onlyParams(c); err != nil {
		return err
	}
	banks, err := s.desk.Banks(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"banks": banks})
}

func (s *Server) getBank(c echo.Context) error {
	b, err := s.desk.Bank(c.Request().Context(), c.Param("bank"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

func (s *Server) deleteBank(c echo.Context) error {
	if err := s.desk.DeleteBank(c.Request().Context(), actor(c), c.Param("bank")); err != nil {
		return err
	}
	s.banksChanged()
	return c.NoContent(http.StatusNoContent)
}

type bankEntryRequest struct {
	Kind       moderation.HashKind `json:"kind"`
	Hash       string              `json:"hash"`
	Note       string              `json:"note"`
	DecisionID string              `json:"decision_id"`
}

// addBankEntry handles POST /v1/hashbanks/:bank/entries: 201 with the new
// entry, or 200 with the entry that already holds the hash.
func (s *Server) addBankEntry(c echo.Context) error {
	var body bankEntryRequest
	if err := decodeBody(c, maxBodyBytes, &body, false); err != nil {
		return err
	}
	if err := validateID("decision_id", body.DecisionID); err != nil {
		return err
	}
	e, created, err := s.desk.AddBankEntry(c.Request().Context(), actor(c), c.Param("bank"),
		review.BankEntryRequest{Kind: body.Kind, Hash: body.Hash, Note: body.Note, DecisionID: body.DecisionID})
	if err != nil {
		return err
	}
	if !created {
		return c.JSON(http.StatusOK, e)
	}
	s.banksChanged()
	return c.JSON(http.StatusCreated, e)
}

// listBankEntries handles GET /v1/hashbanks/:bank/entries?offset=&limit=.
func (s *Server) listBankEntries(c echo.Context) error {
	if err := onlyParams(c, "offset", "limit"); err != nil {
		return err
	}
	offset, err := intParam(c, "offset", 0, 0, 1<<30)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", review.MaxBankEntries, 1, review.MaxBankEntries)
	if err != nil {
		return err
	}
	entries, next, err := s.desk.BankEntries(c.Request().Context(), c.Param("bank"), offset, limit)
	if err != nil {
		return err
	}
	res := map[string]any{"entries": entries}
	if next > 0 {
		res["next_offset"] = next
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) deleteBankEntry(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.desk.DeleteBankEntry(c.Request().Context(), actor(c), c.Param("bank"), id); err != nil {
		return err
	}
	s.banksChanged()
	return c.NoContent(http.StatusNoContent)
}
