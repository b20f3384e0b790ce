package paywize

// Paywize's payload encryption, AES-256-CBC under the account's keys, in
// base64: a request's payload, an answer's data and a webhook's.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
)

// Encrypt returns base64(AES-256-CBC(PKCS#7(plain))) under the account's keys.
func (c *Client) Encrypt(plain []byte) string {
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := append(append([]byte(nil), plain...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(c.block, []byte(c.cfg.SecretKey)).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf)
}

// Decrypt reverses Encrypt, refusing bad base64, lengths and padding.
func (c *Client) Decrypt(b64 string) ([]byte, error) {
	buf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("data is not base64")
	}
	if len(buf) == 0 || len(buf)%aes.BlockSize != 0 {
		return nil, errors.New("ciphertext is not a whole number of AES blocks")
	}
	cipher.NewCBCDecrypter(c.block, []byte(c.cfg.SecretKey)).CryptBlocks(buf, buf)
	pad := int(buf[len(buf)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(buf) || !bytes.Equal(buf[len(buf)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errors.New("bad padding: wrong key or corrupted data")
	}
	return buf[:len(buf)-pad], nil
}
