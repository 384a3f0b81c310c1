package testutil

import "fmt"

// Profile returns a realistic stored profile of about 1 KB, different for
// each i: the document the encoder and field-path benchmarks read.
func Profile(i int) []byte {
	return fmt.Appendf(nil, `{"user_id":"auth0|5f1c2e3d4b5a6978%08x","email":"user%06d@example.com","email_verified":true,`+
		`"username":"user%06d","phone_number":"+1415555%04d","phone_verified":false,"name":"Ann Lee %06d",`+
		`"given_name":"Ann","family_name":"Lee","nickname":"annlee%d",`+
		`"picture":"https://s.gravatar.com/avatar/0c5a0e1c1fa9d0a9f0b2b6b3c6a9b1b2?s=480&r=pg&d=https%%3A%%2F%%2Fcdn.auth0.com%%2Favatars%%2Fan.png",`+
		`"identities":[{"connection":"Username-Password-Authentication","provider":"auth0","user_id":"5f1c2e3d4b5a6978%08x","isSocial":false}],`+
		`"user_metadata":{"consent":{"given":true,"date":"2020-01-01","text_details":"https://example.com/privacy/v3"},`+
		`"preferences":{"language":"en","newsletter":false,"theme":"dark"},"address":{"city":"Z\u00fcrich","country":"CH"}},`+
		`"app_metadata":{"roles":["user","beta"],"plan":"pro","stripe":[{"customer_id":"cus_Abc%06d"}]},"blocked":false,`+
		`"created_at":"2017-11-02T23:34:03.803Z","updated_at":"2021-03-04T05:06:07.089Z","last_login":"2021-03-04T05:06:07.089Z",`+
		`"last_password_reset":"2020-06-07T08:09:10.111Z","last_ip":"203.0.113.%d","logins_count":%d}`,
		i, i, i, i%10000, i, i, i, i, i%256, i%1000)
}
