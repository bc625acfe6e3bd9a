package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCredentialsGood(t *testing.T) {
	const file = "\uFEFF# appconfigd credentials\r\n" +
		"; another comment style\n" +
		"\n" +
		"[default]\n" +
		"aws_access_key_id=AKIDEXAMPLE\n" +
		"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\r\n" +
		"region = us-east-1\n" +
		"\n" +
		"  [ ci ]  \n" +
		"  AWS_ACCESS_KEY_ID   =   111122223333  \n" +
		"\taws_secret_access_key\t=\tsecret=with=equals\n" +
		"aws_account_id = 444455556666\n" +
		"aws_session_token = ignored\n" +
		"[profile only-region]\n" +
		"region = eu-west-1\n"
	creds, err := ParseCredentials(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if creds.Len() != 2 {
		t.Errorf("Len = %d, want 2", creds.Len())
	}
	tests := []struct {
		id   string
		want Credential
		ok   bool
	}{
		{"AKIDEXAMPLE", Credential{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""}, true},
		{"111122223333", Credential{"111122223333", "secret=with=equals", "444455556666"}, true},
		{"akidexample", Credential{}, false},
		{"", Credential{}, false},
	}
	for _, tc := range tests {
		got, ok := creds.Lookup(tc.id)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v, %v", tc.id, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseCredentialsErrors(t *testing.T) {
	const ok = "[a]\naws_access_key_id = AKID1\naws_secret_access_key = s1\n"
	tests := []struct {
		name, file, want string
	}{
		{"empty", "", "no credentials found"},
		{"only comments", "# nothing\n; here\n", "no credentials found"},
		{"key before section", "aws_access_key_id = AKID1\n", "line 1: aws_access_key_id appears before any [section]"},
		{"not key value", ok + "garbage line\n", "line 4: expected 'key = value' or '[section]'"},
		{"unclosed section", ok + "[b\n", "line 4: section header \"[b\" lacks a closing ']'"},
		{"empty section name", ok + "[ ]\n", "line 4: empty section name"},
		{"missing key", ok + "= value\n", "line 4: missing key before '='"},
		{"duplicate section", ok + "[a]\n", "line 4: duplicate section [a] (first on line 1)"},
		{"duplicate key", ok + "aws_secret_access_key = s2\n", "line 4: duplicate aws_secret_access_key in section [a] (first on line 3)"},
		{"missing secret", "[a]\naws_access_key_id = AKID1\n", "line 1: section [a] has no aws_secret_access_key"},
		{"empty secret", "[a]\naws_access_key_id = AKID1\naws_secret_access_key =\n", "line 3: aws_secret_access_key is empty"},
		{"secret without key", "[a]\naws_secret_access_key = s\n", "line 1: section [a] has credentials but no aws_access_key_id"},
		{"empty key id", "[a]\naws_access_key_id =\naws_secret_access_key = s\n", "line 2: aws_access_key_id: is empty"},
		{"slash in key id", "[a]\naws_access_key_id = AK/ID\naws_secret_access_key = s\n", "line 2: aws_access_key_id"},
		{"space in key id", "[a]\naws_access_key_id = AK ID\naws_secret_access_key = s\n", "line 2: aws_access_key_id"},
		{"duplicate key id", ok + "[b]\naws_access_key_id = AKID1\naws_secret_access_key = s2\n", "line 5: duplicate aws_access_key_id \"AKID1\" (first on line 2)"},
		{"short account", ok + "aws_account_id = 12345\n", "line 4: aws_account_id must be exactly 12 digits, got \"12345\""},
		{"non-digit account", ok + "aws_account_id = 12345678901x\n", "line 4: aws_account_id must be exactly 12 digits"},
		{"long account", ok + "aws_account_id = 1234567890123\n", "line 4: aws_account_id must be exactly 12 digits"},
		{"line too long", ok + "x = " + strings.Repeat("a", 70000) + "\n", "line 4:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			creds, err := ParseCredentials(strings.NewReader(tc.file))
			if err == nil {
				t.Fatalf("accepted, %d credentials", creds.Len())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "credentials")
	if err := os.WriteFile(good, []byte("[x]\naws_access_key_id = K\naws_secret_access_key = S\naws_account_id = 123456789012\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds, err := LoadCredentialsFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := creds.Lookup("K"); !ok || c.SecretAccessKey != "S" || c.Account != "123456789012" {
		t.Errorf("Lookup = %+v, %v", c, ok)
	}

	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("[x]\naws_access_key_id = K\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCredentialsFile(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("error %v should name the file and line", err)
	}
	if _, err := LoadCredentialsFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestStaticCredentials(t *testing.T) {
	c := NewStaticCredentials(Credential{AccessKeyID: "A", SecretAccessKey: "1"}, Credential{AccessKeyID: "A", SecretAccessKey: "2"})
	if got, _ := c.Lookup("A"); got.SecretAccessKey != "2" {
		t.Errorf("later credential should win, got %+v", got)
	}
	var nilCreds *StaticCredentials
	if _, ok := nilCreds.Lookup("A"); ok || nilCreds.Len() != 0 {
		t.Error("nil StaticCredentials should be empty")
	}
}

func TestIsAccountID(t *testing.T) {
	for s, want := range map[string]bool{
		"123456789012": true, "000000000000": true,
		"12345678901": false, "1234567890123": false, "12345678901a": false, "": false, "١٢٣٤٥٦٧٨٩٠١٢": false,
	} {
		if got := IsAccountID(s); got != want {
			t.Errorf("IsAccountID(%q) = %v", s, got)
		}
	}
}
