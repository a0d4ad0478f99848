// Package store defines the state xtraauth keeps, as plain value structs and
// small interfaces, one per kind of state. Durable state (users, dev_keys,
// tenants, OAuth clients, audit events, settings) lives in SQL (package
// store/sqlstore); ephemeral state (sessions, failure counters, captchas,
// OAuth access tokens) lives in Redis (package store/redisstore). Every
// implementation passes the suites in store/conformance. A Limit of 0 in a
// filter means no limit.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"xtraauth/fault"
)

// Sentinel errors every implementation returns, wrapped or bare.
var (
	ErrNotFound      = fault.New(fault.NotFound, "Not Found")
	ErrAlreadyExists = fault.New(fault.Conflict, "Already Exists")
	// ErrLastSuperAdmin refuses a change that would leave no enabled super admin.
	ErrLastSuperAdmin = fault.New(fault.Conflict, "The last enabled super admin cannot be disabled or deleted")
)

// DefaultTenantID is the tenant every user belongs to unless told otherwise.
const DefaultTenantID int64 = 1

// User types as the XSwitch front-end knows them.
const (
	UserTypeNormal = "NORMAL"
	UserTypeAgent  = "AGENT"
)

// LoginKey is what makes two logins the same: they match
// case-insensitively.
func LoginKey(login string) string { return strings.ToLower(login) }

// User is an account. Login keeps the spelling it was created with; it is
// unique and matched case-insensitively.
type User struct {
	ID           int64
	Login        string
	Name         string
	Email        string
	Mobile       string
	Tel          string
	ExtnID       string
	Type         string
	Domain       string
	Context      string
	PasswordHash string
	IsSuper      bool
	Disabled     bool
	TenantID     int64
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// FillDefaults gives a new user the default tenant and type where none is
// set, as every store does on create.
func (u *User) FillDefaults() {
	if u.TenantID == 0 {
		u.TenantID = DefaultTenantID
	}
	if u.Type == "" {
		u.Type = UserTypeNormal
	}
}

// UserFilter selects users for a list; empty strings mean no filter.
// Login and Name match substrings, case-insensitively.
type UserFilter struct {
	Login  string
	Name   string
	Type   string
	Offset int
	Limit  int
}

// Users is the durable user table.
type Users interface {
	// CreateUser inserts u (ID, CreatedAt and UpdatedAt are set by the store
	// from u.CreatedAt) and returns it; ErrAlreadyExists if the lower-cased
	// login, or a non-empty email (case-insensitively) or mobile, is taken.
	CreateUser(ctx context.Context, u User) (User, error)
	GetUser(ctx context.Context, id int64) (User, error)
	// GetUserByLogin matches the login case-insensitively.
	GetUserByLogin(ctx context.Context, login string) (User, error)
	// ListUsers returns one page and the count of all matching users.
	ListUsers(ctx context.Context, f UserFilter) ([]User, int, error)
	// UpdateUser runs update on the current row inside one transaction and
	// writes the result back. It refuses (ErrLastSuperAdmin) a result that
	// leaves no enabled super admin; an error from update aborts the change.
	UpdateUser(ctx context.Context, id int64, update func(*User) error) (User, error)
	// DeleteUser removes the user and all their dev_keys in one transaction;
	// ErrLastSuperAdmin for the last enabled super admin.
	DeleteUser(ctx context.Context, id int64) error
	// CountUsers reports how many users exist (used for first-start setup).
	CountUsers(ctx context.Context) (int, error)
}

// DevKey is a permanent credential of one user. Only the SHA-256 of the key
// is kept; Prefix is a short, harmless head of it for lists.
type DevKey struct {
	ID         int64
	UserID     int64
	Label      string
	Prefix     string
	Hash       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// DevKeys is the durable dev_key table.
type DevKeys interface {
	// CreateDevKey inserts k (ID set by the store); ErrNotFound if the user
	// does not exist.
	CreateDevKey(ctx context.Context, k DevKey) (DevKey, error)
	GetDevKey(ctx context.Context, id int64) (DevKey, error)
	// GetDevKeyUser finds the key with this hash and its user in one read,
	// as every use of a key needs both.
	GetDevKeyUser(ctx context.Context, hash string) (DevKey, User, error)
	ListDevKeys(ctx context.Context, userID int64) ([]DevKey, error)
	DeleteDevKey(ctx context.Context, id int64) error
	// DeleteUserDevKeys deletes every key of the user and reports how many.
	DeleteUserDevKeys(ctx context.Context, userID int64) (int, error)
	TouchDevKey(ctx context.Context, id int64, at time.Time) error
}

// Identity is what a request needs to know of its user. It is kept beside
// every session, so an authenticated request reads no SQL; a change of any
// of it ends the user's sessions (package account).
type Identity struct {
	ID       int64  `json:"id"`
	Login    string `json:"login"`
	IsSuper  bool   `json:"super,omitempty"`
	TenantID int64  `json:"tenant"`
}

// IdentityOf is the identity of u.
func IdentityOf(u User) Identity {
	return Identity{ID: u.ID, Login: u.Login, IsSuper: u.IsSuper, TenantID: u.TenantID}
}

// Session is what a login token stands for. The token itself is never
// stored, only its SHA-256.
type Session struct {
	User      Identity  `json:"user"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Sessions is the ephemeral session table, shared by every server process.
type Sessions interface {
	// CreateSession stores s under the token digest for s.ExpiresAt minus
	// s.CreatedAt, which must be the caller's "now". It reports whether the
	// user's sessions were ended (DeleteUserSessions) within EndedLately
	// before s was stored: whoever read the user before then must read it
	// again, as the change that ended them may be newer than that read and
	// yet have missed s.
	CreateSession(ctx context.Context, digest string, s Session) (endedLately bool, err error)
	// GetSession returns ErrNotFound for unknown or expired digests.
	GetSession(ctx context.Context, digest string) (Session, error)
	// DeleteSession returns ErrNotFound if nothing was deleted.
	DeleteSession(ctx context.Context, digest string) error
	// DeleteUserSessions ends every session of the user except the one
	// whose digest is keep (empty keeps none). Before it ends any, it marks
	// the user for CreateSession to report for EndedLately.
	DeleteUserSessions(ctx context.Context, userID int64, keep string) error
}

// EndedLately is how long CreateSession reports that a user's sessions
// were ended. A login that read the user longer ago than half of it reads
// the user again whatever CreateSession reports.
const EndedLately = 5 * time.Minute

// AuditEvent is one row of the audit trail: failures, captchas asked, locks,
// unlocks, wrong dev_keys, sudo. Subject is the counter key it concerns
// (a lower-cased login, or "client:" + a client id).
type AuditEvent struct {
	ID      int64
	At      time.Time
	Subject string
	Address string
	Kind    string
	Outcome string
}

// AuditFilter selects audit events, newest first. Empty Subject or Kind and
// zero From or To mean no filter; From is inclusive, To exclusive.
type AuditFilter struct {
	Subject string
	Kind    string
	From    time.Time
	To      time.Time
	Offset  int
	Limit   int
}

// AuditWriter adds to the audit trail; most services need only that.
type AuditWriter interface {
	AddAuditEvent(ctx context.Context, e AuditEvent) error
}

// Audit is the durable audit trail, appended to and pruned by age.
type Audit interface {
	AuditWriter
	ListAuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, int, error)
	// PruneAuditEvents deletes the events from before a time and reports
	// how many; it deletes in batches, so a large trail never holds the
	// database's write lock for long.
	PruneAuditEvents(ctx context.Context, before time.Time) (int64, error)
}

// AttemptStatus is the verdict of one atomic check-and-count.
type AttemptStatus int

const (
	// AttemptProceed: the attempt was counted as a failure in advance and
	// the secret may now be checked; a success must Reset the key.
	AttemptProceed AttemptStatus = iota
	// AttemptCaptchaNeeded: nothing was counted; ask for a captcha.
	AttemptCaptchaNeeded
	// AttemptLocked: nothing was counted; the key is locked.
	AttemptLocked
)

// AttemptPolicy carries the thresholds into the atomic step. Zero
// CaptchaAfter or LockAfter turns that stage off; LockFor must be positive.
type AttemptPolicy struct {
	CaptchaAfter int
	LockAfter    int
	LockFor      time.Duration
}

// AttemptResult is what Attempt decided (see Decide).
type AttemptResult struct {
	Status     AttemptStatus
	Failures   int           // failures counted so far, this attempt included when it proceeds
	RetryAfter time.Duration // for AttemptLocked
	TookLock   bool          // this attempt locked the key (for LockFor)
}

// LockState describes one key with failures, for admins. LockedFor is
// the lock's remaining time (Redis keeps durations, not instants), zero
// when the key is not locked.
type LockState struct {
	Key       string
	Failures  int
	LockedFor time.Duration
}

// Counters are the failure counters and locks of the lockout, one set of
// keys per subject, each subject's keys in one Redis hash slot.
type Counters interface {
	// Attempt is the atomic check-and-count taken before any secret is
	// checked, by the rule of Decide; a failure it counts makes all of the
	// key's failures expire LockFor after this one.
	Attempt(ctx context.Context, key string, p AttemptPolicy, captchaSolved bool) (AttemptResult, error)
	// Refund takes back one failure counted by an attempt whose secret was
	// never checked (the hashing pool was full), and lifts a lock it caused.
	Refund(ctx context.Context, key string, p AttemptPolicy) error
	// Reset clears the key's failures and lock (good login, admin unlock).
	Reset(ctx context.Context, key string) error
	// State reports the key's failures and lock (zero values if none).
	State(ctx context.Context, key string) (LockState, error)
	// States reports several keys' states in one round trip, in order.
	States(ctx context.Context, keys []string) ([]LockState, error)
	// ListStates reports every key with failures or a lock.
	ListStates(ctx context.Context) ([]LockState, error)
	// Hit adds one to a fixed-window counter (the window starts at the first
	// hit) and returns the new count.
	Hit(ctx context.Context, key string, window time.Duration) (int64, error)
	// Hits reads a fixed-window counter (0 if absent).
	Hits(ctx context.Context, key string) (int64, error)
}

// Captcha is one issued challenge. Binding is what it was made for:
// "login:" + a lower-cased login, or "addr:" + a client address; Address is
// the client address that asked for it.
type Captcha struct {
	Answer  string `json:"answer"`
	Binding string `json:"binding"`
	Address string `json:"address"`
	Audio   bool   `json:"audio"`
}

// Captchas is the ephemeral captcha table, shared by every server process.
type Captchas interface {
	// PutCaptcha stores c under id for ttl and makes it the newest for its
	// binding made from its address; ErrAlreadyExists if the id is taken.
	PutCaptcha(ctx context.Context, id int64, c Captcha, ttl time.Duration) error
	// GetCaptcha reads without using up (to draw the image).
	GetCaptcha(ctx context.Context, id int64) (Captcha, error)
	// TakeCaptcha reads and deletes in one step; ErrNotFound if absent.
	TakeCaptcha(ctx context.Context, id int64) (Captcha, error)
	// NewestCaptcha returns the id of the newest captcha made for binding
	// from address, ErrNotFound once that one is used up or expired (an
	// older one does not become the newest again).
	NewestCaptcha(ctx context.Context, binding, address string) (int64, error)
}

// Digest is how bearer secrets (session tokens, dev_keys, client secrets,
// access tokens) are stored: hex SHA-256, so a dump of the stores logs
// nobody in. The secrets carry 122 random bits, so no salt or stretching is needed.
func Digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Tenant is an organisation users belong to; DefaultTenantID always exists.
type Tenant struct {
	ID        int64
	Code      string
	Name      string
	CreatedAt time.Time
}

// Tenants is the durable tenant table.
type Tenants interface {
	// CreateTenant inserts t (ID set by the store); ErrAlreadyExists if the code is taken.
	CreateTenant(ctx context.Context, t Tenant) (Tenant, error)
	GetTenant(ctx context.Context, id int64) (Tenant, error)
	GetTenantByCode(ctx context.Context, code string) (Tenant, error)
	ListTenants(ctx context.Context) ([]Tenant, error)
}

// Client is an OAuth2 client of the client-credentials grant. Only the
// SHA-256 of its secret is kept. A client may act as users of its
// tenants when MaySudo; with no tenants it may use the default one only.
type Client struct {
	ID         string
	SecretHash string
	MaySudo    bool
	TenantIDs  []int64
	CreatedAt  time.Time
}

// Clients is the durable OAuth2 client table.
type Clients interface {
	// CreateClient inserts c with its tenants in one transaction;
	// ErrAlreadyExists if the id is taken, ErrNotFound if a tenant is missing.
	CreateClient(ctx context.Context, c Client) (Client, error)
	GetClient(ctx context.Context, id string) (Client, error)
	ListClients(ctx context.Context) ([]Client, error)
	DeleteClient(ctx context.Context, id string) error
}

// UserFinder finds users by the other unique fields sudo may name.
type UserFinder interface {
	// GetUserByEmail and GetUserByMobile match exactly (email
	// case-insensitively); empty values never match.
	GetUserByEmail(ctx context.Context, email string) (User, error)
	GetUserByMobile(ctx context.Context, mobile string) (User, error)
}

// AccessToken is what an OAuth2 access token stands for.
type AccessToken struct {
	ClientID  string    `json:"client_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AccessTokens is the ephemeral OAuth2 access token table, keyed by the
// token's digest.
type AccessTokens interface {
	// CreateAccessToken stores t until t.ExpiresAt.
	CreateAccessToken(ctx context.Context, digest string, t AccessToken) error
	// GetAccessToken returns ErrNotFound for unknown or expired digests.
	GetAccessToken(ctx context.Context, digest string) (AccessToken, error)
	// DeleteAccessToken returns ErrNotFound if nothing was deleted.
	DeleteAccessToken(ctx context.Context, digest string) error
	// DeleteClientAccessTokens ends every token of a client (removed client).
	DeleteClientAccessTokens(ctx context.Context, clientID string) error
}

// AuditFeed reads the audit trail in the order rows were numbered, for
// whatever follows it (notifications).
type AuditFeed interface {
	// AuditEventsAfter returns up to limit events with an ID above afterID,
	// lowest first. In PostgreSQL a row may commit after one with a higher
	// ID, so a reader must not assume that a missing ID never comes.
	AuditEventsAfter(ctx context.Context, afterID int64, limit int) ([]AuditEvent, error)
	// LastAuditEventID is the highest id of the trail, 0 when empty.
	LastAuditEventID(ctx context.Context) (int64, error)
}

// Approval kinds.
const (
	ApprovalUnlock = "unlock"
	ApprovalDevKey = "dev_key"
)

// Approval states. Pending is the only state a decision leaves.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
	ApprovalCanceled = "canceled"
	ApprovalClaimed  = "claimed"
	ApprovalExpired  = "expired"
)

// Approval is a request that needs an admin's decision, on a platform
// (DingTalk, Feishu) or in the web page. UserID is the requester's.
// NeedsMirror and NeedsUnlock are what the background worker still owes a
// decision: mirroring it to the platform's instance, lifting the lock.
type Approval struct {
	ID          int64
	Kind        string
	State       string
	UserID      int64
	Login       string
	Label       string
	Reason      string
	Platform    string
	InstanceID  string
	CreatedAt   time.Time
	DecidedAt   *time.Time
	DecidedBy   string
	Remark      string
	NeedsMirror bool
	NeedsUnlock bool
}

// ApprovalFilter selects approvals, newest first; zero fields mean no
// filter. Work selects those the background worker has something to do for:
// pending ones on a platform, and decisions still to be mirrored or applied.
type ApprovalFilter struct {
	UserID     int64
	State      string
	Kind       string
	Platform   string
	InstanceID string
	Work       bool
	Offset     int
	Limit      int
}

// Approvals is the durable approval table. Every change of an approval is
// a read-modify-write in one transaction, so a compare-and-set of its state
// made in the updater is applied once however many processes race.
type Approvals interface {
	// CreateApproval inserts a (ID set by the store) and the audit event e
	// in one transaction; ErrAlreadyExists when a is an unlock approval and
	// its user already has a pending one.
	CreateApproval(ctx context.Context, a Approval, e AuditEvent) (Approval, error)
	GetApproval(ctx context.Context, id int64) (Approval, error)
	// ListApprovals returns one page and the count of all that match.
	ListApprovals(ctx context.Context, f ApprovalFilter) ([]Approval, int, error)
	// UpdateApproval runs update on the current row and writes the result
	// back, with the audit events update returns, in one transaction; an
	// error from update aborts the change and is returned as it is.
	UpdateApproval(ctx context.Context, id int64, update func(*Approval) ([]AuditEvent, error)) (Approval, error)
	// ClaimApproval is UpdateApproval that also inserts k (for the
	// approval's user) in the same transaction, and returns it with its ID.
	ClaimApproval(ctx context.Context, id int64, update func(*Approval) ([]AuditEvent, error), k DevKey) (Approval, DevKey, error)
}

// Delivery states.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed" // given up
)

// Delivery is one notification owed to one recipient on one channel: an
// outbox row. (EventID, Channel, Recipient) is unique, so turning an audit
// event into deliveries twice adds nothing the second time.
type Delivery struct {
	ID        int64
	EventID   int64
	Channel   string
	Recipient string // a user id on user channels, empty on robots and Coding
	Title     string
	Text      string
	Priority  string
	State     string
	Attempts  int
	CreatedAt time.Time
	NextAt    time.Time
	SentAt    *time.Time
	LastError string
}

// Outbox holds the notifications to send and where the reading of the
// audit trail stands.
type Outbox interface {
	// AddDeliveries inserts ds (State pending), skipping any whose
	// (EventID, Channel, Recipient) is already there.
	AddDeliveries(ctx context.Context, ds []Delivery) error
	// DueDeliveries returns up to limit pending deliveries whose NextAt is
	// not after now, earliest first.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// UpdateDelivery writes d's State, Attempts, NextAt, SentAt and
	// LastError; ErrNotFound if there is no such delivery.
	UpdateDelivery(ctx context.Context, d Delivery) error
	// DelayDeliveries moves the pending deliveries of channel that are due
	// before until to until (a channel backing off after a failure).
	DelayDeliveries(ctx context.Context, channel string, until time.Time) error
	// PendingDeliveries counts pending deliveries by channel.
	PendingDeliveries(ctx context.Context) (map[string]int, error)
	// Cursor reads a named position (0 if never set); SetCursor writes it.
	Cursor(ctx context.Context, name string) (int64, error)
	SetCursor(ctx context.Context, name string, position int64) error
}

// Leases let one process at a time do a job, among every process that
// shares the database.
type Leases interface {
	// TakeLease makes holder the holder of name until until, if nobody
	// else holds it at now (a lease ends at its until) or holder already
	// does; it reports whether holder holds it now.
	TakeLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// DropLease ends holder's lease of name, if it holds it.
	DropLease(ctx context.Context, name, holder string) error
}

// IntegrationStatus is how the last calls to one outside platform went.
// LastError is empty once a call after it succeeded.
type IntegrationStatus struct {
	Name          string
	LastError     string
	LastErrorAt   *time.Time
	LastSuccessAt *time.Time
}

// IntegrationStatuses keeps the outcome of platform calls, shared by every
// process.
type IntegrationStatuses interface {
	// RecordIntegration notes a call to name at at: a success when
	// callErr is empty (clearing the last error), else a failure.
	RecordIntegration(ctx context.Context, name string, at time.Time, callErr string) error
	// IntegrationStatuses returns every platform with a recorded call.
	IntegrationStatuses(ctx context.Context) ([]IntegrationStatus, error)
}

// Settings are named values kept in SQL (generated secrets, codes of
// objects made on platforms).
type Settings interface {
	// GetOrCreateSetting stores value under key unless the key already has
	// one, and returns the stored value.
	GetOrCreateSetting(ctx context.Context, key, value string) (string, error)
	// Setting returns the value of key; ErrNotFound if none.
	Setting(ctx context.Context, key string) (string, error)
}
