//! Multilingual vocabulary of CSV column headers.
//!
//! Users upload spreadsheets whose first row was written by hand or exported
//! from another CRM, in English, Dutch, Danish, German, French or Spanish.
//! Before a single data row is read, the import engine has to decide which
//! CRM property each column feeds. This module holds the data for that
//! decision:
//!
//! * [`normalize_header`] turns a raw header into its lookup key (Unicode
//!   lowercase, every non-alphanumeric character removed, accents kept), so
//!   `"E-mailadres"`, `"e-mail adres"` and `"EMAILADRES"` all become
//!   `"emailadres"`.
//! * [`variants`] returns, per language, a static table of [`Variant`]s:
//!   header spellings, already normalized, each naming an object (`contacts`,
//!   `companies`, ...) and one of its property internal names. The engine
//!   normalizes each incoming header and looks the key up among the variants
//!   of the object being imported, first in the language the user chose and
//!   then in English; the rest of [`LANGUAGES`] can be tried as a fallback.
//!   Within one language a key never maps to two properties of one object, so
//!   a hit is unambiguous. The same key may mean different things for
//!   different objects: `"nom"` is `lastname` for French contacts but `name`
//!   for companies.
//! * [`PROPERTY_LABELS`] gives the English, HubSpot-style label of every
//!   property, used for export headers and error messages.
//!
//! The English table also contains every property's internal name and
//! label, so re-importing an export (or a file with internal names as
//! headers) maps itself.

/// One header spelling (already normalized with [`normalize_header`]) for a
/// property of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Variant {
    /// Object type, e.g. `"contacts"` or `"line_items"`.
    pub object: &'static str,
    /// Internal name of the property, e.g. `"firstname"`.
    pub property: &'static str,
    /// Normalized header spelling, e.g. `"voornaam"`.
    pub header: &'static str,
}

/// The languages that have a header table, as accepted by [`variants`].
pub(crate) const LANGUAGES: &[&str] = &["en", "nl", "da", "de", "fr", "es"];

/// Turns a raw CSV header into its lookup key: Unicode-lowercases it, then
/// drops every character that is not alphanumeric ([`char::is_alphanumeric`]).
///
/// Accents are kept: `"Prénom"` becomes `"prénom"`, `"Phone Number"` becomes
/// `"phonenumber"` and `"E-Mail-Adresse"` becomes `"emailadresse"`.
pub(crate) fn normalize_header(s: &str) -> String {
    s.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Header variants of one language (`"en"`, `"nl"`, `"da"`, `"de"`, `"fr"`
/// or `"es"`); an unknown language gets an empty slice.
pub(crate) fn variants(lang: &str) -> &'static [Variant] {
    match lang {
        "en" => EN,
        "nl" => NL,
        "da" => DA,
        "de" => DE,
        "fr" => FR,
        "es" => ES,
        _ => &[],
    }
}

/// HubSpot-style English label of every property, as
/// `(object, property, label)`, grouped by object.
pub(crate) const PROPERTY_LABELS: &[(&str, &str, &str)] = &[
    ("contacts", "hs_object_id", "Record ID"),
    ("contacts", "email", "Email"),
    ("contacts", "firstname", "First Name"),
    ("contacts", "lastname", "Last Name"),
    ("contacts", "phone", "Phone Number"),
    ("contacts", "mobilephone", "Mobile Phone Number"),
    ("contacts", "company", "Company Name"),
    ("contacts", "website", "Website URL"),
    ("contacts", "jobtitle", "Job Title"),
    ("contacts", "address", "Street Address"),
    ("contacts", "city", "City"),
    ("contacts", "state", "State/Region"),
    ("contacts", "zip", "Postal Code"),
    ("contacts", "country", "Country/Region"),
    ("contacts", "lifecyclestage", "Lifecycle Stage"),
    ("contacts", "date_of_birth", "Date of birth"),
    ("contacts", "hs_email_optout", "Unsubscribed from all email"),
    ("companies", "hs_object_id", "Record ID"),
    ("companies", "name", "Company name"),
    ("companies", "domain", "Company Domain Name"),
    ("companies", "industry", "Industry"),
    ("companies", "numberofemployees", "Number of Employees"),
    ("companies", "annualrevenue", "Annual Revenue"),
    ("companies", "phone", "Phone Number"),
    ("companies", "address", "Street Address"),
    ("companies", "city", "City"),
    ("companies", "state", "State/Region"),
    ("companies", "zip", "Postal Code"),
    ("companies", "country", "Country/Region"),
    ("companies", "website", "Website URL"),
    ("companies", "description", "Description"),
    ("companies", "founded_year", "Year Founded"),
    ("companies", "lifecyclestage", "Lifecycle Stage"),
    ("companies", "is_public", "Is Public"),
    ("deals", "hs_object_id", "Record ID"),
    ("deals", "dealname", "Deal Name"),
    ("deals", "amount", "Amount"),
    ("deals", "dealstage", "Deal Stage"),
    ("deals", "pipeline", "Pipeline"),
    ("deals", "closedate", "Close Date"),
    ("deals", "dealtype", "Deal Type"),
    ("deals", "description", "Deal Description"),
    ("tickets", "hs_object_id", "Record ID"),
    ("tickets", "subject", "Ticket name"),
    ("tickets", "content", "Ticket description"),
    ("tickets", "hs_pipeline", "Pipeline"),
    ("tickets", "hs_pipeline_stage", "Ticket status"),
    ("tickets", "hs_ticket_priority", "Priority"),
    ("products", "hs_object_id", "Record ID"),
    ("products", "name", "Product name"),
    ("products", "price", "Unit price"),
    ("products", "hs_sku", "SKU"),
    ("products", "description", "Description"),
    ("line_items", "hs_object_id", "Record ID"),
    ("line_items", "name", "Name"),
    ("line_items", "quantity", "Quantity"),
    ("line_items", "price", "Unit price"),
    ("line_items", "hs_product_id", "Product ID"),
    ("calls", "hs_object_id", "Record ID"),
    ("calls", "hs_timestamp", "Activity date"),
    ("calls", "hs_call_title", "Call title"),
    ("calls", "hs_call_body", "Call notes"),
    ("calls", "hs_call_duration", "Call duration"),
    ("tasks", "hs_object_id", "Record ID"),
    ("tasks", "hs_timestamp", "Due date"),
    ("tasks", "hs_task_subject", "Task title"),
    ("tasks", "hs_task_body", "Task notes"),
    ("tasks", "hs_task_status", "Task status"),
    ("notes", "hs_object_id", "Record ID"),
    ("notes", "hs_timestamp", "Activity date"),
    ("notes", "hs_note_body", "Note body"),
    ("meetings", "hs_object_id", "Record ID"),
    ("meetings", "hs_timestamp", "Activity date"),
    ("meetings", "hs_meeting_title", "Meeting name"),
    ("meetings", "hs_meeting_body", "Meeting description"),
    ("emails", "hs_object_id", "Record ID"),
    ("emails", "hs_timestamp", "Activity date"),
    ("emails", "hs_email_subject", "Email subject"),
    ("emails", "hs_email_text", "Email body"),
];

/// Builds a `&[Variant]` literal from `object.property => [headers];` lines.
macro_rules! table {
    ($($object:ident . $property:ident => [$($header:literal),+ $(,)?];)+) => {
        &[$($(
            Variant {
                object: stringify!($object),
                property: stringify!($property),
                header: $header,
            },
        )+)+]
    };
}

/// English: internal names, the labels of [`PROPERTY_LABELS`] and the
/// spellings found in exports from other CRMs, address books and spreadsheets.
static EN: &[Variant] = table! {
    contacts.hs_object_id => ["hsobjectid", "recordid", "contactid", "id", "objectid", "hubspotid",
        "hubspotcontactid", "contactrecordid", "vid"];
    contacts.email => ["email", "emailaddress", "mail", "emailaddr", "email1", "primaryemail",
        "workemail", "businessemail", "personalemail", "contactemail", "emailaddress1"];
    contacts.firstname => ["firstname", "first", "givenname", "forename", "fname",
        "contactfirstname", "firstnames"];
    contacts.lastname => ["lastname", "last", "surname", "familyname", "lname", "contactlastname",
        "lastnames"];
    contacts.phone => ["phone", "phonenumber", "telephone", "telephonenumber", "tel", "phoneno",
        "workphone", "businessphone", "officephone", "landline", "directphone", "directdial",
        "primaryphone", "contactphone", "phone1"];
    contacts.mobilephone => ["mobilephone", "mobilephonenumber", "mobile", "mobilenumber",
        "mobileno", "cell", "cellphone", "cellnumber", "cellphonenumber", "mobilephoneno"];
    contacts.company => ["company", "companyname", "organization", "organisation", "org",
        "organizationname", "organisationname", "accountname", "account", "employer", "business",
        "businessname"];
    contacts.website => ["website", "websiteurl", "url", "web", "webaddress", "homepage",
        "webpage", "site", "personalwebsite"];
    contacts.jobtitle => ["jobtitle", "title", "position", "role", "jobrole", "jobposition", "job",
        "occupation", "designation"];
    contacts.address => ["address", "streetaddress", "street", "addressline1", "address1",
        "streetaddress1", "mailingaddress", "mailingstreet", "postaladdress", "homeaddress",
        "businessstreet", "homestreet"];
    contacts.city => ["city", "town", "towncity", "citytown", "locality", "mailingcity",
        "businesscity", "homecity"];
    contacts.state => ["state", "stateregion", "region", "province", "stateprovince", "county",
        "mailingstate", "businessstate", "homestate"];
    contacts.zip => ["zip", "zipcode", "postalcode", "postcode", "postal", "zippostalcode",
        "mailingzip", "mailingpostalcode", "businesspostalcode", "homepostalcode"];
    contacts.country => ["country", "countryregion", "nation", "mailingcountry",
        "businesscountry", "homecountry"];
    contacts.lifecyclestage => ["lifecyclestage", "lifecycle", "lifecyclephase"];
    contacts.date_of_birth => ["dateofbirth", "dob", "birthday", "birthdate"];
    contacts.hs_email_optout => ["hsemailoptout", "unsubscribedfromallemail", "unsubscribed",
        "emailoptout", "optout", "optedout", "hasoptedoutofemail", "donotemail", "unsubscribe",
        "emailunsubscribed"];

    companies.hs_object_id => ["hsobjectid", "recordid", "companyid", "id", "objectid",
        "hubspotid", "hubspotcompanyid", "accountid", "companyrecordid"];
    companies.name => ["name", "companyname", "company", "organization", "organisation", "org",
        "organizationname", "organisationname", "accountname", "account", "businessname",
        "legalname", "tradingname"];
    companies.domain => ["domain", "companydomainname", "companydomain", "domainname",
        "websitedomain", "emaildomain"];
    companies.industry => ["industry", "sector", "vertical"];
    companies.numberofemployees => ["numberofemployees", "employees", "noofemployees",
        "numemployees", "employeecount", "totalemployees", "headcount", "staff"];
    companies.annualrevenue => ["annualrevenue", "revenue", "yearlyrevenue", "turnover",
        "annualturnover"];
    companies.phone => ["phone", "phonenumber", "telephone", "telephonenumber", "tel", "phoneno",
        "mainphone", "companyphone", "officephone", "switchboard"];
    companies.address => ["address", "streetaddress", "street", "addressline1", "address1",
        "billingaddress", "billingstreet", "postaladdress"];
    companies.city => ["city", "town", "towncity", "citytown", "locality", "billingcity"];
    companies.state => ["state", "stateregion", "region", "province", "stateprovince", "county",
        "billingstate"];
    companies.zip => ["zip", "zipcode", "postalcode", "postcode", "postal", "zippostalcode",
        "billingzip", "billingpostalcode"];
    companies.country => ["country", "countryregion", "nation", "billingcountry"];
    companies.website => ["website", "websiteurl", "url", "web", "webaddress", "homepage",
        "webpage", "site", "companywebsite"];
    companies.description => ["description", "companydescription", "about", "overview",
        "summary"];
    companies.founded_year => ["foundedyear", "yearfounded", "founded", "foundingyear",
        "yearestablished", "established"];
    companies.lifecyclestage => ["lifecyclestage", "lifecycle", "lifecyclephase"];
    companies.is_public => ["ispublic", "public", "publiccompany", "publiclytraded", "listed"];

    deals.hs_object_id => ["hsobjectid", "recordid", "dealid", "id", "objectid", "hubspotid",
        "opportunityid"];
    deals.dealname => ["dealname", "name", "deal", "opportunityname", "opportunity"];
    deals.amount => ["amount", "value", "dealvalue", "dealamount", "dealsize",
        "opportunityamount"];
    deals.dealstage => ["dealstage", "stage", "salesstage", "pipelinestage", "opportunitystage"];
    deals.pipeline => ["pipeline", "dealpipeline", "salespipeline"];
    deals.closedate => ["closedate", "closingdate", "expectedclosedate", "estimatedclosedate",
        "dateclosed"];
    deals.dealtype => ["dealtype", "type", "opportunitytype"];
    deals.description => ["description", "dealdescription"];

    tickets.hs_object_id => ["hsobjectid", "recordid", "ticketid", "id", "objectid",
        "ticketnumber", "caseid", "casenumber"];
    tickets.subject => ["subject", "ticketname", "name", "title", "tickettitle", "ticketsubject",
        "summary"];
    tickets.content => ["content", "ticketdescription", "description", "body", "details"];
    tickets.hs_pipeline => ["hspipeline", "pipeline", "ticketpipeline"];
    tickets.hs_pipeline_stage => ["hspipelinestage", "ticketstatus", "status", "stage",
        "pipelinestage"];
    tickets.hs_ticket_priority => ["hsticketpriority", "priority", "ticketpriority", "urgency"];

    products.hs_object_id => ["hsobjectid", "recordid", "productid", "id", "objectid"];
    products.name => ["name", "productname", "product", "itemname", "item", "title"];
    products.price => ["price", "unitprice", "listprice", "saleprice"];
    products.hs_sku => ["hssku", "sku", "stockkeepingunit", "productcode", "itemcode",
        "partnumber", "articlenumber"];
    products.description => ["description", "productdescription"];

    line_items.hs_object_id => ["hsobjectid", "recordid", "lineitemid", "id", "objectid"];
    line_items.name => ["name", "lineitemname", "productname", "itemname", "item"];
    line_items.quantity => ["quantity", "qty", "units"];
    line_items.price => ["price", "unitprice", "listprice"];
    line_items.hs_product_id => ["hsproductid", "productid"];

    calls.hs_object_id => ["hsobjectid", "recordid", "callid", "id", "objectid"];
    calls.hs_timestamp => ["hstimestamp", "activitydate", "date", "timestamp", "datetime",
        "calldate", "starttime"];
    calls.hs_call_title => ["hscalltitle", "calltitle", "title", "subject", "callsubject"];
    calls.hs_call_body => ["hscallbody", "callnotes", "notes", "body", "callbody", "description",
        "comments"];
    calls.hs_call_duration => ["hscallduration", "callduration", "duration", "calllength",
        "length"];

    tasks.hs_object_id => ["hsobjectid", "recordid", "taskid", "id", "objectid"];
    tasks.hs_timestamp => ["hstimestamp", "duedate", "due", "deadline", "activitydate", "date",
        "timestamp"];
    tasks.hs_task_subject => ["hstasksubject", "tasktitle", "title", "subject", "taskname", "task",
        "tasksubject"];
    tasks.hs_task_body => ["hstaskbody", "tasknotes", "notes", "body", "description",
        "taskdescription"];
    tasks.hs_task_status => ["hstaskstatus", "taskstatus", "status"];

    notes.hs_object_id => ["hsobjectid", "recordid", "noteid", "id", "objectid"];
    notes.hs_timestamp => ["hstimestamp", "activitydate", "date", "timestamp"];
    notes.hs_note_body => ["hsnotebody", "notebody", "note", "notes", "body", "content", "text",
        "comment", "comments"];

    meetings.hs_object_id => ["hsobjectid", "recordid", "meetingid", "id", "objectid"];
    meetings.hs_timestamp => ["hstimestamp", "activitydate", "date", "timestamp", "meetingdate",
        "starttime"];
    meetings.hs_meeting_title => ["hsmeetingtitle", "meetingname", "meetingtitle", "title",
        "subject", "name"];
    meetings.hs_meeting_body => ["hsmeetingbody", "meetingdescription", "description", "body",
        "notes", "meetingnotes"];

    emails.hs_object_id => ["hsobjectid", "recordid", "emailid", "id", "objectid"];
    emails.hs_timestamp => ["hstimestamp", "activitydate", "date", "timestamp", "sentdate",
        "datesent"];
    emails.hs_email_subject => ["hsemailsubject", "emailsubject", "subject", "subjectline"];
    emails.hs_email_text => ["hsemailtext", "emailbody", "emailtext", "body", "text", "message",
        "content"];
};

/// Dutch (including Flemish spellings such as `familienaam` and `gsm`).
static NL: &[Variant] = table! {
    contacts.hs_object_id => ["id", "recordid", "contactid", "contactpersoonid"];
    contacts.email => ["email", "emailadres", "mail", "mailadres", "zakelijkemailadres",
        "zakelijkemail", "werkemail", "emailadreszakelijk", "priveemail", "privéemail"];
    contacts.firstname => ["voornaam", "voornamen", "roepnaam", "voornaamcontactpersoon"];
    contacts.lastname => ["achternaam", "achternamen", "familienaam", "geslachtsnaam",
        "achternaamcontactpersoon"];
    contacts.phone => ["telefoon", "telefoonnummer", "tel", "telnr", "telefoonnr", "vastetelefoon",
        "vastnummer", "telefoonwerk", "werktelefoon", "zakelijktelefoonnummer",
        "telefoonnummerzakelijk"];
    contacts.mobilephone => ["mobiel", "mobielnummer", "mobieltelefoonnummer", "mobieletelefoon",
        "mobielnr", "telefoonmobiel", "06nummer", "gsm", "gsmnummer"];
    contacts.company => ["bedrijf", "bedrijfsnaam", "organisatie", "organisatienaam", "firma",
        "onderneming", "werkgever", "naambedrijf", "naamorganisatie"];
    contacts.website => ["website", "webadres", "websiteadres", "webpagina", "internetadres",
        "site", "url", "homepage"];
    contacts.jobtitle => ["functie", "functietitel", "functienaam", "beroep", "rol", "positie"];
    contacts.address => ["adres", "straat", "straatnaam", "straatenhuisnummer",
        "straathuisnummer", "adresregel", "adresregel1", "postadres", "bezoekadres", "huisadres",
        "woonadres"];
    contacts.city => ["plaats", "woonplaats", "stad", "plaatsnaam", "gemeente", "stadplaats"];
    contacts.state => ["provincie", "regio", "staat", "deelstaat", "staatregio",
        "provincieregio"];
    contacts.zip => ["postcode"];
    contacts.country => ["land", "landregio", "landnaam", "landcode"];
    contacts.lifecyclestage => ["levenscyclusfase", "levenscyclus", "lifecyclefase", "fase",
        "klantfase"];
    contacts.date_of_birth => ["geboortedatum", "gebdatum", "verjaardag", "geboren"];
    contacts.hs_email_optout => ["afgemeld", "afgemeldvooralleemail", "afgemeldvooralleemails",
        "uitgeschreven", "afmelding", "optout", "emailoptout", "geenemail"];

    companies.hs_object_id => ["id", "recordid", "bedrijfsid", "bedrijfid"];
    companies.name => ["naam", "bedrijfsnaam", "bedrijf", "organisatie", "organisatienaam",
        "firma", "firmanaam", "onderneming", "handelsnaam", "statutairenaam", "naambedrijf",
        "naamorganisatie"];
    companies.domain => ["domein", "domeinnaam", "bedrijfsdomein", "bedrijfsdomeinnaam",
        "websitedomein"];
    companies.industry => ["branche", "sector", "industrie", "bedrijfstak"];
    companies.numberofemployees => ["aantalmedewerkers", "aantalwerknemers", "medewerkers",
        "werknemers", "personeel", "aantalpersoneelsleden", "personeelsomvang", "aantalfte", "fte",
        "aantalwerkzamepersonen"];
    companies.annualrevenue => ["jaaromzet", "omzet", "jaarlijkseomzet", "omzetperjaar"];
    companies.phone => ["telefoon", "telefoonnummer", "tel", "telnr", "telefoonnr",
        "algemeentelefoonnummer", "hoofdnummer"];
    companies.address => ["adres", "straat", "straatnaam", "straatenhuisnummer",
        "straathuisnummer", "adresregel", "adresregel1", "postadres", "bezoekadres",
        "vestigingsadres"];
    companies.city => ["plaats", "stad", "plaatsnaam", "vestigingsplaats", "gemeente",
        "stadplaats"];
    companies.state => ["provincie", "regio", "staat", "deelstaat", "staatregio",
        "provincieregio"];
    companies.zip => ["postcode"];
    companies.country => ["land", "landregio", "landnaam", "landcode"];
    companies.website => ["website", "webadres", "websiteadres", "webpagina", "internetadres",
        "site", "url", "homepage"];
    companies.description => ["omschrijving", "beschrijving", "bedrijfsomschrijving",
        "bedrijfsbeschrijving", "over"];
    companies.founded_year => ["oprichtingsjaar", "opgericht", "opgerichtin", "jaarvanoprichting"];
    companies.lifecyclestage => ["levenscyclusfase", "levenscyclus", "lifecyclefase", "fase",
        "klantfase"];
    companies.is_public => ["beursgenoteerd", "beursnotering", "genoteerdaandebeurs"];

    deals.hs_object_id => ["id", "recordid", "dealid"];
    deals.dealname => ["dealnaam", "naam", "naamdeal", "deal", "verkoopkans", "opportunity"];
    deals.amount => ["bedrag", "waarde", "dealwaarde", "dealbedrag", "totaalbedrag"];
    deals.dealstage => ["dealfase", "fase", "stadium", "dealstadium", "verkoopfase"];
    deals.pipeline => ["pipeline", "dealpipeline", "pijplijn", "verkooppijplijn",
        "verkooppipeline"];
    deals.closedate => ["sluitingsdatum", "afsluitdatum", "verwachtesluitingsdatum", "closedatum",
        "datumgesloten"];
    deals.dealtype => ["dealtype", "type", "typedeal", "soort", "soortdeal"];
    deals.description => ["omschrijving", "beschrijving", "dealomschrijving", "dealbeschrijving"];

    tickets.hs_object_id => ["id", "recordid", "ticketid", "ticketnummer"];
    tickets.subject => ["ticketnaam", "onderwerp", "naam", "titel"];
    tickets.content => ["ticketbeschrijving", "beschrijving", "omschrijving", "inhoud"];
    tickets.hs_pipeline => ["pipeline", "pijplijn", "ticketpipeline"];
    tickets.hs_pipeline_stage => ["ticketstatus", "status", "fase"];
    tickets.hs_ticket_priority => ["prioriteit", "urgentie"];

    products.hs_object_id => ["id", "recordid", "productid"];
    products.name => ["productnaam", "naam", "product", "artikel", "artikelnaam"];
    products.price => ["prijs", "eenheidsprijs", "stukprijs", "prijsperstuk", "prijspereenheid",
        "verkoopprijs"];
    products.hs_sku => ["sku", "artikelnummer", "artikelnr", "artnr", "artikelcode",
        "productcode"];
    products.description => ["omschrijving", "beschrijving", "productomschrijving",
        "productbeschrijving"];

    line_items.hs_object_id => ["id", "recordid", "regelitemid"];
    line_items.name => ["naam", "productnaam"];
    line_items.quantity => ["aantal", "hoeveelheid", "stuks", "aantalstuks"];
    line_items.price => ["prijs", "eenheidsprijs", "stukprijs", "prijsperstuk",
        "prijspereenheid"];
    line_items.hs_product_id => ["productid"];

    calls.hs_object_id => ["id", "recordid"];
    calls.hs_timestamp => ["activiteitsdatum", "datum", "tijdstip", "datumentijd",
        "gespreksdatum", "datumgesprek"];
    calls.hs_call_title => ["gesprekstitel", "titel", "onderwerp"];
    calls.hs_call_body => ["gespreksnotities", "notities", "beschrijving", "omschrijving",
        "opmerkingen"];
    calls.hs_call_duration => ["duur", "gespreksduur", "belduur"];

    tasks.hs_object_id => ["id", "recordid", "taakid"];
    tasks.hs_timestamp => ["vervaldatum", "deadline", "uiterstedatum",
        "activiteitsdatum", "datum"];
    tasks.hs_task_subject => ["taaktitel", "taaknaam", "taak", "titel", "onderwerp"];
    tasks.hs_task_body => ["taaknotities", "notities", "beschrijving", "omschrijving"];
    tasks.hs_task_status => ["status", "taakstatus"];

    notes.hs_object_id => ["id", "recordid"];
    notes.hs_timestamp => ["activiteitsdatum", "datum"];
    notes.hs_note_body => ["notitie", "notities", "notitietekst", "inhoud", "tekst", "opmerking",
        "opmerkingen"];

    meetings.hs_object_id => ["id", "recordid"];
    meetings.hs_timestamp => ["activiteitsdatum", "datum", "vergaderdatum", "afspraakdatum",
        "starttijd"];
    meetings.hs_meeting_title => ["vergadernaam", "vergadertitel", "titel", "onderwerp", "naam"];
    meetings.hs_meeting_body => ["vergaderbeschrijving", "beschrijving", "omschrijving",
        "notities"];

    emails.hs_object_id => ["id", "recordid"];
    emails.hs_timestamp => ["activiteitsdatum", "datum", "verzenddatum", "verzondenop"];
    emails.hs_email_subject => ["onderwerp", "emailonderwerp", "onderwerpregel"];
    emails.hs_email_text => ["tekst", "emailtekst", "inhoud", "bericht", "berichttekst"];
};

/// Danish.
static DA: &[Variant] = table! {
    contacts.hs_object_id => ["id", "recordid", "kontaktid"];
    contacts.email => ["email", "emailadresse", "mail", "mailadresse", "arbejdsemail",
        "arbejdsmail"];
    contacts.firstname => ["fornavn", "fornavne"];
    contacts.lastname => ["efternavn", "efternavne"];
    contacts.phone => ["telefon", "telefonnummer", "telefonnr", "tlf", "tlfnr", "fastnet",
        "arbejdstelefon", "direktenummer"];
    contacts.mobilephone => ["mobil", "mobilnummer", "mobilnr", "mobiltelefon",
        "mobiltelefonnummer", "mobiltlf"];
    contacts.company => ["virksomhed", "virksomhedsnavn", "firma", "firmanavn", "organisation",
        "arbejdsgiver", "selskab"];
    contacts.website => ["hjemmeside", "websted", "website", "webside", "webadresse", "url"];
    contacts.jobtitle => ["stilling", "jobtitel", "stillingsbetegnelse", "stillingstitel",
        "rolle", "funktion", "job"];
    contacts.address => ["adresse", "gade", "gadenavn", "gadeadresse", "vej", "vejnavn",
        "postadresse", "adresselinje", "adresselinje1"];
    contacts.city => ["by", "bynavn", "postdistrikt"];
    contacts.state => ["region", "landsdel", "stat", "delstat", "statregion"];
    contacts.zip => ["postnummer", "postnr"];
    contacts.country => ["land", "landregion", "landekode"];
    contacts.lifecyclestage => ["livscyklusfase", "livscyklus", "livscyklusstadie", "fase"];
    contacts.date_of_birth => ["fødselsdato", "fødselsdag", "født"];
    contacts.hs_email_optout => ["afmeldt", "afmeldtfraalleemails", "frameldt", "framelding",
        "optout", "ingenemail"];

    companies.hs_object_id => ["id", "recordid", "virksomhedsid", "firmaid"];
    companies.name => ["navn", "virksomhedsnavn", "virksomhed", "firmanavn", "firma", "selskab",
        "selskabsnavn", "organisation", "organisationsnavn"];
    companies.domain => ["domæne", "domænenavn", "virksomhedsdomæne", "firmadomæne"];
    companies.industry => ["branche", "industri", "sektor"];
    companies.numberofemployees => ["antalmedarbejdere", "medarbejdere", "antalansatte",
        "ansatte", "medarbejderantal"];
    companies.annualrevenue => ["omsætning", "årligomsætning", "årsomsætning"];
    companies.phone => ["telefon", "telefonnummer", "telefonnr", "tlf", "tlfnr", "hovednummer"];
    companies.address => ["adresse", "gade", "gadenavn", "gadeadresse", "vej", "vejnavn",
        "postadresse", "adresselinje", "adresselinje1"];
    companies.city => ["by", "bynavn", "postdistrikt"];
    companies.state => ["region", "landsdel", "stat", "delstat", "statregion"];
    companies.zip => ["postnummer", "postnr"];
    companies.country => ["land", "landregion", "landekode"];
    companies.website => ["hjemmeside", "websted", "website", "webside", "webadresse", "url"];
    companies.description => ["beskrivelse", "virksomhedsbeskrivelse", "omvirksomheden"];
    companies.founded_year => ["stiftelsesår", "stiftet", "grundlagt", "grundlæggelsesår",
        "etableret", "etableringsår"];
    companies.lifecyclestage => ["livscyklusfase", "livscyklus", "livscyklusstadie", "fase"];
    companies.is_public => ["børsnoteret"];

    deals.hs_object_id => ["id", "recordid", "aftaleid", "dealid"];
    deals.dealname => ["aftalenavn", "dealnavn", "navn", "aftale", "salgsmulighed"];
    deals.amount => ["beløb", "værdi", "aftaleværdi", "aftalebeløb", "dealværdi"];
    deals.dealstage => ["aftalefase", "dealfase", "fase", "stadie", "salgsfase"];
    deals.pipeline => ["pipeline", "salgspipeline", "aftalepipeline"];
    deals.closedate => ["lukkedato", "afslutningsdato", "forventetlukkedato"];
    deals.dealtype => ["aftaletype", "dealtype", "type"];
    deals.description => ["beskrivelse", "aftalebeskrivelse"];

    tickets.hs_object_id => ["id", "recordid", "ticketid", "ticketnummer"];
    tickets.subject => ["ticketnavn", "emne", "navn", "titel"];
    tickets.content => ["ticketbeskrivelse", "beskrivelse", "indhold"];
    tickets.hs_pipeline => ["pipeline", "ticketpipeline"];
    tickets.hs_pipeline_stage => ["ticketstatus", "status", "fase"];
    tickets.hs_ticket_priority => ["prioritet"];

    products.hs_object_id => ["id", "recordid", "produktid"];
    products.name => ["produktnavn", "navn", "produkt", "varenavn", "vare"];
    products.price => ["pris", "enhedspris", "stykpris", "salgspris"];
    products.hs_sku => ["sku", "varenummer", "varenr", "varekode", "produktkode"];
    products.description => ["beskrivelse", "produktbeskrivelse"];

    line_items.hs_object_id => ["id", "recordid"];
    line_items.name => ["navn", "produktnavn", "varenavn"];
    line_items.quantity => ["antal", "mængde", "stk"];
    line_items.price => ["pris", "enhedspris", "stykpris"];
    line_items.hs_product_id => ["produktid"];

    calls.hs_object_id => ["id", "recordid"];
    calls.hs_timestamp => ["aktivitetsdato", "dato", "tidspunkt", "opkaldsdato"];
    calls.hs_call_title => ["opkaldstitel", "titel", "emne"];
    calls.hs_call_body => ["opkaldsnoter", "noter", "beskrivelse", "bemærkninger"];
    calls.hs_call_duration => ["varighed", "opkaldsvarighed", "samtalevarighed"];

    tasks.hs_object_id => ["id", "recordid", "opgaveid"];
    tasks.hs_timestamp => ["forfaldsdato", "frist", "deadline", "aktivitetsdato", "dato"];
    tasks.hs_task_subject => ["opgavetitel", "opgavenavn", "opgave", "titel", "emne"];
    tasks.hs_task_body => ["opgavenoter", "noter", "beskrivelse"];
    tasks.hs_task_status => ["status", "opgavestatus"];

    notes.hs_object_id => ["id", "recordid"];
    notes.hs_timestamp => ["aktivitetsdato", "dato"];
    notes.hs_note_body => ["note", "noter", "notetekst", "indhold", "tekst", "bemærkning",
        "bemærkninger"];

    meetings.hs_object_id => ["id", "recordid"];
    meetings.hs_timestamp => ["aktivitetsdato", "dato", "mødedato", "starttidspunkt"];
    meetings.hs_meeting_title => ["mødenavn", "mødetitel", "titel", "emne", "navn"];
    meetings.hs_meeting_body => ["mødebeskrivelse", "beskrivelse", "mødenoter", "noter"];

    emails.hs_object_id => ["id", "recordid"];
    emails.hs_timestamp => ["aktivitetsdato", "dato", "sendt", "sendtdato"];
    emails.hs_email_subject => ["emne", "emnelinje", "emailemne"];
    emails.hs_email_text => ["tekst", "brødtekst", "indhold", "besked", "emailtekst"];
};

/// German (including Swiss `kanton` and `ss` for `ß`).
static DE: &[Variant] = table! {
    contacts.hs_object_id => ["id", "datensatzid", "kontaktid", "recordid"];
    contacts.email => ["email", "emailadresse", "emailadr", "mail", "mailadresse",
        "geschäftlicheemail", "emailgeschäftlich", "emailprivat"];
    contacts.firstname => ["vorname", "vornamen", "rufname"];
    contacts.lastname => ["nachname", "nachnamen", "familienname", "zuname"];
    contacts.phone => ["telefon", "telefonnummer", "telefonnr", "tel", "telnr", "rufnummer",
        "festnetz", "festnetznummer", "telefongeschäftlich", "geschäftlichestelefon",
        "telefonbüro", "durchwahl"];
    contacts.mobilephone => ["handy", "handynummer", "mobil", "mobilnummer", "mobilnr",
        "mobiltelefon", "mobiltelefonnummer", "mobilfunk", "mobilfunknummer", "telefonmobil"];
    contacts.company => ["firma", "unternehmen", "firmenname", "unternehmensname",
        "organisation", "arbeitgeber"];
    contacts.website => ["webseite", "website", "internetseite", "internetadresse", "homepage",
        "webadresse", "web", "url"];
    contacts.jobtitle => ["position", "berufsbezeichnung", "jobtitel", "stellenbezeichnung",
        "funktion", "beruf", "rolle"];
    contacts.address => ["straße", "strasse", "adresse", "anschrift", "postanschrift",
        "straßeundhausnummer", "strasseundhausnummer", "straßehausnummer", "strassehausnummer",
        "straßehausnr", "strassehausnr", "adresszeile", "adresszeile1"];
    contacts.city => ["stadt", "ort", "wohnort", "ortschaft", "stadtort", "ortstadt"];
    contacts.state => ["bundesland", "region", "bundesstaat", "kanton", "bundeslandregion",
        "bundeslandkanton"];
    contacts.zip => ["plz", "postleitzahl", "postleitzahlplz"];
    contacts.country => ["land", "landregion"];
    contacts.lifecyclestage => ["lebenszyklusphase", "lebenszyklus", "lifecyclephase", "phase"];
    contacts.date_of_birth => ["geburtsdatum", "gebdatum", "geburtstag", "geboren"];
    contacts.hs_email_optout => ["abgemeldet", "vonallenemailsabgemeldet", "abmeldung", "optout",
        "emailoptout", "keineemails"];

    companies.hs_object_id => ["id", "datensatzid", "firmenid", "unternehmensid", "recordid"];
    companies.name => ["name", "firmenname", "unternehmensname", "firma", "unternehmen",
        "organisation", "firmierung", "unternehmensbezeichnung"];
    companies.domain => ["domain", "domäne", "domainname", "unternehmensdomain", "firmendomain",
        "domaindesunternehmens"];
    companies.industry => ["branche", "industrie", "sektor", "wirtschaftszweig"];
    companies.numberofemployees => ["anzahlmitarbeiter", "anzahldermitarbeiter", "mitarbeiter",
        "mitarbeiteranzahl", "mitarbeiterzahl", "beschäftigte", "anzahlbeschäftigte"];
    companies.annualrevenue => ["jahresumsatz", "umsatz", "jährlicherumsatz"];
    companies.phone => ["telefon", "telefonnummer", "telefonnr", "tel", "telnr", "rufnummer",
        "festnetz", "zentrale", "telefonzentrale"];
    companies.address => ["straße", "strasse", "adresse", "anschrift", "postanschrift",
        "firmenanschrift", "straßeundhausnummer", "strasseundhausnummer", "straßehausnummer",
        "strassehausnummer", "adresszeile", "adresszeile1"];
    companies.city => ["stadt", "ort", "ortschaft", "stadtort", "ortstadt"];
    companies.state => ["bundesland", "region", "bundesstaat", "kanton", "bundeslandregion",
        "bundeslandkanton"];
    companies.zip => ["plz", "postleitzahl", "postleitzahlplz"];
    companies.country => ["land", "landregion"];
    companies.website => ["webseite", "website", "internetseite", "internetadresse", "homepage",
        "webadresse", "web", "url"];
    companies.description => ["beschreibung", "unternehmensbeschreibung", "firmenbeschreibung"];
    companies.founded_year => ["gründungsjahr", "gruendungsjahr", "gegründet", "gründung",
        "jahrdergründung"];
    companies.lifecyclestage => ["lebenszyklusphase", "lebenszyklus", "lifecyclephase", "phase"];
    companies.is_public => ["börsennotiert", "boersennotiert"];

    deals.hs_object_id => ["id", "datensatzid", "dealid", "recordid"];
    deals.dealname => ["dealname", "name", "namedesdeals", "deal", "verkaufschance"];
    deals.amount => ["betrag", "wert", "dealwert", "auftragswert", "volumen", "summe"];
    deals.dealstage => ["dealphase", "phase", "verkaufsphase", "stufe"];
    deals.pipeline => ["pipeline", "vertriebspipeline", "salespipeline", "dealpipeline"];
    deals.closedate => ["abschlussdatum", "voraussichtlichesabschlussdatum"];
    deals.dealtype => ["dealtyp", "typ", "art", "geschäftsart"];
    deals.description => ["beschreibung", "dealbeschreibung"];

    tickets.hs_object_id => ["id", "datensatzid", "ticketid", "ticketnummer", "recordid"];
    tickets.subject => ["ticketname", "betreff", "name", "titel"];
    tickets.content => ["ticketbeschreibung", "beschreibung", "inhalt"];
    tickets.hs_pipeline => ["pipeline", "ticketpipeline"];
    tickets.hs_pipeline_stage => ["ticketstatus", "status", "phase"];
    tickets.hs_ticket_priority => ["priorität", "dringlichkeit"];

    products.hs_object_id => ["id", "datensatzid", "produktid", "recordid"];
    products.name => ["produktname", "name", "produkt", "produktbezeichnung", "bezeichnung",
        "artikel", "artikelname", "artikelbezeichnung"];
    products.price => ["preis", "stückpreis", "einzelpreis", "einheitspreis", "preisproeinheit",
        "verkaufspreis"];
    products.hs_sku => ["sku", "artikelnummer", "artikelnr", "artnr"];
    products.description => ["beschreibung", "produktbeschreibung", "artikelbeschreibung"];

    line_items.hs_object_id => ["id", "datensatzid", "recordid"];
    line_items.name => ["name", "produktname", "bezeichnung", "artikelbezeichnung"];
    line_items.quantity => ["menge", "anzahl", "stückzahl", "stück"];
    line_items.price => ["preis", "stückpreis", "einzelpreis", "einheitspreis",
        "preisproeinheit"];
    line_items.hs_product_id => ["produktid"];

    calls.hs_object_id => ["id", "datensatzid", "recordid"];
    calls.hs_timestamp => ["aktivitätsdatum", "datum", "zeitpunkt", "anrufdatum"];
    calls.hs_call_title => ["anruftitel", "titel", "betreff"];
    calls.hs_call_body => ["anrufnotizen", "gesprächsnotizen", "notizen", "beschreibung"];
    calls.hs_call_duration => ["dauer", "anrufdauer", "gesprächsdauer"];

    tasks.hs_object_id => ["id", "datensatzid", "aufgabenid", "recordid"];
    tasks.hs_timestamp => ["fälligkeitsdatum", "fälligam", "frist", "deadline",
        "aktivitätsdatum", "datum"];
    tasks.hs_task_subject => ["aufgabentitel", "aufgabenname", "aufgabe", "titel", "betreff"];
    tasks.hs_task_body => ["aufgabennotizen", "notizen", "beschreibung"];
    tasks.hs_task_status => ["status", "aufgabenstatus"];

    notes.hs_object_id => ["id", "datensatzid", "recordid"];
    notes.hs_timestamp => ["aktivitätsdatum", "datum"];
    notes.hs_note_body => ["notiz", "notizen", "notiztext", "inhalt", "text", "bemerkung",
        "bemerkungen", "kommentar"];

    meetings.hs_object_id => ["id", "datensatzid", "recordid"];
    meetings.hs_timestamp => ["aktivitätsdatum", "datum", "besprechungsdatum", "termindatum",
        "startzeit", "beginn"];
    meetings.hs_meeting_title => ["meetingname", "besprechungsname", "titel", "betreff", "name"];
    meetings.hs_meeting_body => ["meetingbeschreibung", "beschreibung", "notizen",
        "besprechungsnotizen"];

    emails.hs_object_id => ["id", "datensatzid", "recordid"];
    emails.hs_timestamp => ["aktivitätsdatum", "datum", "gesendetam", "sendedatum"];
    emails.hs_email_subject => ["betreff", "betreffzeile", "emailbetreff"];
    emails.hs_email_text => ["text", "emailtext", "inhalt", "nachricht", "nachrichtentext"];
};

/// French (including Québec's `cellulaire` and `compagnie`, and
/// accent-stripped spellings common in exports).
static FR: &[Variant] = table! {
    contacts.hs_object_id => ["id", "identifiant", "idcontact", "idducontact",
        "identifiantducontact"];
    contacts.email => ["email", "adresseemail", "courriel", "adressecourriel", "mail",
        "adressemail", "mél", "adresseélectronique", "adresseelectronique", "emailprofessionnel",
        "emailpro"];
    contacts.firstname => ["prénom", "prenom", "prénoms", "prenoms"];
    contacts.lastname => ["nom", "nomdefamille", "patronyme"];
    contacts.phone => ["téléphone", "telephone", "numérodetéléphone", "numerodetelephone",
        "ndetéléphone", "tél", "tel", "téléphonefixe", "telephonefixe", "fixe", "télfixe",
        "téléphoneprofessionnel", "lignedirecte"];
    contacts.mobilephone => ["portable", "mobile", "téléphoneportable", "telephoneportable",
        "téléphonemobile", "telephonemobile", "numérodeportable", "numérodemobile",
        "télportable", "télmobile", "cellulaire", "cell"];
    contacts.company => ["entreprise", "société", "societe", "nomdelentreprise",
        "nomdelasociété", "nomdelasociete", "organisation", "employeur", "raisonsociale",
        "compagnie"];
    contacts.website => ["siteweb", "siteinternet", "site", "url", "urldusiteweb"];
    contacts.jobtitle => ["poste", "intituléduposte", "intituleduposte", "titreduposte",
        "fonction", "profession", "métier", "rôle"];
    contacts.address => ["adresse", "rue", "adressepostale", "adresse1", "adresseligne1",
        "numéroetrue", "voie"];
    contacts.city => ["ville", "commune", "localité", "localite"];
    contacts.state => ["région", "region", "état", "etat", "étatrégion", "etatregion",
        "département", "departement", "province", "canton"];
    contacts.zip => ["codepostal", "cp"];
    contacts.country => ["pays", "paysrégion", "paysregion"];
    contacts.lifecyclestage => ["phaseducycledevie", "étapeducycledevie", "etapeducycledevie",
        "cycledevie"];
    contacts.date_of_birth => ["datedenaissance", "datenaissance", "anniversaire", "néle"];
    contacts.hs_email_optout => ["désabonné", "desabonne", "désabonnédetouslesemails",
        "désinscrit", "désinscription", "désabonnement", "optout"];

    companies.hs_object_id => ["id", "identifiant", "identreprise", "iddelentreprise",
        "identifiantdelentreprise"];
    companies.name => ["nom", "nomdelentreprise", "entreprise", "société", "societe",
        "nomdelasociété", "nomdelasociete", "raisonsociale", "dénomination",
        "dénominationsociale", "organisation", "compagnie"];
    companies.domain => ["domaine", "nomdedomaine", "domainedelentreprise",
        "nomdedomainedelentreprise"];
    companies.industry => ["secteur", "secteurdactivité", "secteurdactivite", "industrie"];
    companies.numberofemployees => ["nombredemployés", "nombredemployes", "effectif",
        "effectifs", "employés", "employes", "salariés", "nombredesalariés"];
    companies.annualrevenue => ["chiffredaffaires", "chiffredaffaire", "chiffredaffairesannuel",
        "ca", "revenuannuel"];
    companies.phone => ["téléphone", "telephone", "numérodetéléphone", "numerodetelephone",
        "ndetéléphone", "tél", "tel", "téléphonefixe", "standard"];
    companies.address => ["adresse", "rue", "adressepostale", "adresse1", "adresseligne1",
        "numéroetrue", "voie"];
    companies.city => ["ville", "commune", "localité", "localite"];
    companies.state => ["région", "region", "état", "etat", "étatrégion", "etatregion",
        "département", "departement", "province", "canton"];
    companies.zip => ["codepostal", "cp"];
    companies.country => ["pays", "paysrégion", "paysregion"];
    companies.website => ["siteweb", "siteinternet", "site", "url", "urldusiteweb"];
    companies.description => ["description", "descriptiondelentreprise", "àpropos"];
    companies.founded_year => ["annéedecréation", "anneedecreation", "annéedefondation",
        "fondéeen", "création"];
    companies.lifecyclestage => ["phaseducycledevie", "étapeducycledevie", "etapeducycledevie",
        "cycledevie"];
    companies.is_public => ["cotéeenbourse", "coteeenbourse", "cotéenbourse", "sociétécotée"];

    deals.hs_object_id => ["id", "identifiant", "idtransaction", "iddelatransaction"];
    deals.dealname => ["nomdelatransaction", "transaction", "nom", "affaire", "nomdelaffaire",
        "opportunité", "nomdelopportunité"];
    deals.amount => ["montant", "valeur", "montantdelatransaction"];
    deals.dealstage => ["phasedelatransaction", "étapedelatransaction", "étape", "etape", "phase",
        "étapedevente"];
    deals.pipeline => ["pipeline", "pipelinedetransactions", "pipelinedeventes"];
    deals.closedate => ["datedefermeture", "datedeclôture", "datedecloture",
        "datedeclôtureprévue"];
    deals.dealtype => ["typedetransaction", "type", "typedaffaire"];
    deals.description => ["description", "descriptiondelatransaction"];

    tickets.hs_object_id => ["id", "identifiant", "idduticket", "numérodeticket"];
    tickets.subject => ["nomduticket", "objet", "sujet", "titre", "nom"];
    tickets.content => ["descriptionduticket", "description", "contenu"];
    tickets.hs_pipeline => ["pipeline", "pipelinedetickets"];
    tickets.hs_pipeline_stage => ["statutduticket", "statut", "étape", "etape"];
    tickets.hs_ticket_priority => ["priorité", "priorite", "urgence"];

    products.hs_object_id => ["id", "identifiant", "idproduit", "idduproduit"];
    products.name => ["nomduproduit", "nom", "produit", "article", "désignation", "designation"];
    products.price => ["prix", "prixunitaire", "prixdevente", "pu"];
    products.hs_sku => ["sku", "référence", "reference", "réf", "ref", "référenceproduit",
        "codearticle"];
    products.description => ["description", "descriptionduproduit"];

    line_items.hs_object_id => ["id", "identifiant"];
    line_items.name => ["nom", "nomduproduit", "désignation", "designation", "libellé"];
    line_items.quantity => ["quantité", "quantite", "qté", "qte"];
    line_items.price => ["prix", "prixunitaire", "pu"];
    line_items.hs_product_id => ["idproduit", "idduproduit", "identifiantduproduit"];

    calls.hs_object_id => ["id", "identifiant"];
    calls.hs_timestamp => ["datedelactivité", "datedactivité", "date", "datedelappel",
        "horodatage"];
    calls.hs_call_title => ["titredelappel", "titre", "objet", "sujet"];
    calls.hs_call_body => ["notesdappel", "notesdelappel", "notes", "description",
        "commentaires", "compterendu"];
    calls.hs_call_duration => ["durée", "duree", "duréedelappel"];

    tasks.hs_object_id => ["id", "identifiant"];
    tasks.hs_timestamp => ["datedéchéance", "datedecheance", "échéance", "echeance",
        "datedelactivité", "datedactivité", "date"];
    tasks.hs_task_subject => ["titredelatâche", "tâche", "tache", "titre", "objet", "sujet"];
    tasks.hs_task_body => ["notesdelatâche", "notes", "description"];
    tasks.hs_task_status => ["statut", "statutdelatâche"];

    notes.hs_object_id => ["id", "identifiant"];
    notes.hs_timestamp => ["datedelactivité", "datedactivité", "date"];
    notes.hs_note_body => ["corpsdelanote", "note", "notes", "contenu", "texte", "commentaire",
        "commentaires"];

    meetings.hs_object_id => ["id", "identifiant"];
    meetings.hs_timestamp => ["datedelactivité", "datedactivité", "date", "datedelaréunion",
        "datedurendezvous", "heurededébut"];
    meetings.hs_meeting_title => ["nomdelaréunion", "titredelaréunion", "titre", "objet", "sujet",
        "nom"];
    meetings.hs_meeting_body => ["descriptiondelaréunion", "description", "notes",
        "compterendu"];

    emails.hs_object_id => ["id", "identifiant"];
    emails.hs_timestamp => ["datedelactivité", "datedactivité", "date", "datedenvoi"];
    emails.hs_email_subject => ["objet", "objetdelemail", "sujet"];
    emails.hs_email_text => ["corpsdelemail", "corps", "texte", "contenu", "message"];
};

/// Spanish (Spain and Latin America, with accent-stripped spellings).
static ES: &[Variant] = table! {
    contacts.hs_object_id => ["id", "idderegistro", "iddecontacto", "identificador"];
    contacts.email => ["correoelectrónico", "correoelectronico", "correo", "email", "mail",
        "correoe", "direccióndecorreoelectrónico", "direcciondecorreoelectronico",
        "direccióndecorreo", "direcciondecorreo"];
    contacts.firstname => ["nombre", "nombres", "nombredepila", "primernombre"];
    contacts.lastname => ["apellido", "apellidos", "primerapellido", "apellidopaterno"];
    contacts.phone => ["teléfono", "telefono", "númerodeteléfono", "numerodetelefono", "tel",
        "tfno", "teléfonofijo", "telefonofijo", "fijo", "teléfonodetrabajo"];
    contacts.mobilephone => ["móvil", "movil", "celular", "teléfonomóvil", "telefonomovil",
        "teléfonocelular", "telefonocelular", "númerodemóvil", "númerodecelular", "cel"];
    contacts.company => ["empresa", "nombredelaempresa", "nombredeempresa", "compañía",
        "compañia", "compania", "organización", "organizacion", "razónsocial", "razonsocial"];
    contacts.website => ["sitioweb", "páginaweb", "paginaweb", "web", "url", "urldelsitioweb"];
    contacts.jobtitle => ["cargo", "puesto", "puestodetrabajo", "títulodelpuesto",
        "ocupación", "profesión", "rol"];
    contacts.address => ["dirección", "direccion", "calle", "domicilio", "direcciónpostal",
        "direccióndelacalle", "dirección1"];
    contacts.city => ["ciudad", "localidad", "municipio", "población", "poblacion"];
    contacts.state => ["provincia", "estado", "región", "region", "estadoregión", "estadoregion",
        "departamento", "comunidadautónoma"];
    contacts.zip => ["códigopostal", "codigopostal", "cp"];
    contacts.country => ["país", "pais", "paísregión", "paisregion"];
    contacts.lifecyclestage => ["etapadelciclodevida", "fasedelciclodevida", "ciclodevida",
        "etapa"];
    contacts.date_of_birth => ["fechadenacimiento", "cumpleaños", "nacimiento"];
    contacts.hs_email_optout => ["dadodebaja", "baja", "suscripcióncancelada", "desuscrito",
        "optout"];

    companies.hs_object_id => ["id", "idderegistro", "iddeempresa", "iddelaempresa"];
    companies.name => ["nombre", "nombredelaempresa", "nombredeempresa", "empresa", "compañía",
        "compañia", "compania", "razónsocial", "razonsocial", "organización", "organizacion",
        "denominaciónsocial"];
    companies.domain => ["dominio", "nombrededominio", "dominiodelaempresa",
        "nombrededominiodelaempresa"];
    companies.industry => ["sector", "industria", "sectordeactividad", "rubro"];
    companies.numberofemployees => ["númerodeempleados", "numerodeempleados", "ndeempleados",
        "nºdeempleados", "empleados", "cantidaddeempleados", "trabajadores", "plantilla"];
    companies.annualrevenue => ["ingresosanuales", "ingresos", "facturación", "facturacion",
        "facturaciónanual", "ventasanuales"];
    companies.phone => ["teléfono", "telefono", "númerodeteléfono", "numerodetelefono", "tel",
        "tfno", "teléfonofijo", "centralita"];
    companies.address => ["dirección", "direccion", "calle", "domicilio", "domiciliosocial",
        "direcciónpostal", "direccióndelacalle", "dirección1"];
    companies.city => ["ciudad", "localidad", "municipio", "población", "poblacion"];
    companies.state => ["provincia", "estado", "región", "region", "estadoregión",
        "estadoregion", "departamento", "comunidadautónoma"];
    companies.zip => ["códigopostal", "codigopostal", "cp"];
    companies.country => ["país", "pais", "paísregión", "paisregion"];
    companies.website => ["sitioweb", "páginaweb", "paginaweb", "web", "url", "urldelsitioweb"];
    companies.description => ["descripción", "descripcion", "descripcióndelaempresa"];
    companies.founded_year => ["añodefundación", "añodefundacion", "anodefundacion",
        "fundadaen", "fundación", "añodecreación"];
    companies.lifecyclestage => ["etapadelciclodevida", "fasedelciclodevida", "ciclodevida",
        "etapa"];
    companies.is_public => ["cotizaenbolsa", "cotizada", "empresacotizada"];

    deals.hs_object_id => ["id", "idderegistro", "idnegocio", "iddelnegocio"];
    deals.dealname => ["nombredelnegocio", "negocio", "nombre", "oportunidad",
        "nombredelaoportunidad"];
    deals.amount => ["importe", "monto", "valor", "importedelnegocio"];
    deals.dealstage => ["etapadelnegocio", "etapa", "fase", "etapadeventa"];
    deals.pipeline => ["pipeline", "pipelinedenegocios", "embudo", "embudodeventas"];
    deals.closedate => ["fechadecierre", "fechacierre", "fechadecierreprevista"];
    deals.dealtype => ["tipodenegocio", "tipo"];
    deals.description => ["descripción", "descripcion", "descripcióndelnegocio"];

    tickets.hs_object_id => ["id", "idderegistro", "iddelticket", "númerodeticket"];
    tickets.subject => ["nombredelticket", "asunto", "título", "titulo", "nombre"];
    tickets.content => ["descripcióndelticket", "descripción", "descripcion", "contenido"];
    tickets.hs_pipeline => ["pipeline", "pipelinedetickets"];
    tickets.hs_pipeline_stage => ["estadodelticket", "estado", "etapa"];
    tickets.hs_ticket_priority => ["prioridad", "urgencia"];

    products.hs_object_id => ["id", "idderegistro", "idproducto", "iddelproducto"];
    products.name => ["nombredelproducto", "nombre", "producto", "artículo", "articulo"];
    products.price => ["precio", "preciounitario", "preciodeventa", "pvp"];
    products.hs_sku => ["sku", "referencia", "ref", "códigodeproducto", "codigodeproducto",
        "códigodeartículo"];
    products.description => ["descripción", "descripcion", "descripcióndelproducto"];

    line_items.hs_object_id => ["id", "idderegistro"];
    line_items.name => ["nombre", "nombredelproducto", "concepto"];
    line_items.quantity => ["cantidad", "unidades", "cant"];
    line_items.price => ["precio", "preciounitario"];
    line_items.hs_product_id => ["idproducto", "iddelproducto"];

    calls.hs_object_id => ["id", "idderegistro"];
    calls.hs_timestamp => ["fechadeactividad", "fecha", "fechadelallamada", "fechayhora"];
    calls.hs_call_title => ["títulodelallamada", "título", "titulo", "asunto"];
    calls.hs_call_body => ["notasdelallamada", "notas", "descripción", "comentarios"];
    calls.hs_call_duration => ["duración", "duracion", "duracióndelallamada"];

    tasks.hs_object_id => ["id", "idderegistro"];
    tasks.hs_timestamp => ["fechadevencimiento", "vencimiento", "fechalímite", "fechalimite",
        "fechadeactividad", "fecha"];
    tasks.hs_task_subject => ["títulodelatarea", "tarea", "título", "titulo", "asunto"];
    tasks.hs_task_body => ["notasdelatarea", "notas", "descripción", "descripcion"];
    tasks.hs_task_status => ["estado", "estadodelatarea"];

    notes.hs_object_id => ["id", "idderegistro"];
    notes.hs_timestamp => ["fechadeactividad", "fecha"];
    notes.hs_note_body => ["cuerpodelanota", "nota", "notas", "contenido", "texto", "comentario",
        "comentarios"];

    meetings.hs_object_id => ["id", "idderegistro"];
    meetings.hs_timestamp => ["fechadeactividad", "fecha", "fechadelareunión", "horadeinicio"];
    meetings.hs_meeting_title => ["nombredelareunión", "títulodelareunión", "título", "titulo",
        "asunto", "nombre"];
    meetings.hs_meeting_body => ["descripcióndelareunión", "descripción", "descripcion",
        "notas"];

    emails.hs_object_id => ["id", "idderegistro"];
    emails.hs_timestamp => ["fechadeactividad", "fecha", "fechadeenvío"];
    emails.hs_email_subject => ["asunto", "asuntodelcorreo", "asuntodelcorreoelectrónico"];
    emails.hs_email_text => ["cuerpodelcorreo", "cuerpodelcorreoelectrónico", "cuerpo", "texto",
        "mensaje", "contenido"];
};

#[cfg(test)]
mod tests {
    use super::{LANGUAGES, PROPERTY_LABELS, Variant, normalize_header, variants};
    use std::collections::{HashMap, HashSet};

    /// The object model the vocabulary is written against, independent of
    /// `PROPERTY_LABELS`.
    const MODEL: &str = "
        contacts: hs_object_id email firstname lastname phone mobilephone company website
            jobtitle address city state zip country lifecyclestage date_of_birth hs_email_optout;
        companies: hs_object_id name domain industry numberofemployees annualrevenue phone
            address city state zip country website description founded_year lifecyclestage
            is_public;
        deals: hs_object_id dealname amount dealstage pipeline closedate dealtype description;
        tickets: hs_object_id subject content hs_pipeline hs_pipeline_stage hs_ticket_priority;
        products: hs_object_id name price hs_sku description;
        line_items: hs_object_id name quantity price hs_product_id;
        calls: hs_object_id hs_timestamp hs_call_title hs_call_body hs_call_duration;
        tasks: hs_object_id hs_timestamp hs_task_subject hs_task_body hs_task_status;
        notes: hs_object_id hs_timestamp hs_note_body;
        meetings: hs_object_id hs_timestamp hs_meeting_title hs_meeting_body;
        emails: hs_object_id hs_timestamp hs_email_subject hs_email_text;";

    fn model_properties() -> impl Iterator<Item = (&'static str, &'static str)> {
        MODEL.split(';').filter_map(|entry| entry.split_once(':')).flat_map(|(object, properties)| {
            let object = object.trim();
            properties.split_whitespace().map(move |p| (object, p))
        })
    }

    /// The property a raw header maps to for `object` in `lang`.
    fn resolve(lang: &str, object: &str, raw: &str) -> Option<&'static str> {
        let key = normalize_header(raw);
        variants(lang).iter().find(|v| v.object == object && v.header == key).map(|v| v.property)
    }

    fn assert_maps(lang: &str, object: &str, property: &str, raws: &[&str]) {
        for raw in raws {
            assert_eq!(
                resolve(lang, object, raw),
                Some(property),
                "{lang}: {raw:?} should map to {object}.{property}"
            );
        }
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize_header("E-mailadres"), "emailadres");
        assert_eq!(normalize_header("Prénom"), "prénom");
        assert_eq!(normalize_header("Phone Number"), "phonenumber");
        assert_eq!(normalize_header("Número de teléfono"), "númerodeteléfono");
        assert_eq!(normalize_header("  STRASSE / Nr. "), "strassenr");
        assert_eq!(normalize_header("Nom de l’entreprise"), "nomdelentreprise");
        assert_eq!(normalize_header("hs_object_id"), "hsobjectid");
        assert_eq!(normalize_header("ÉTAT"), "état");
        assert_eq!(normalize_header("-/ "), "");
    }

    #[test]
    fn languages() {
        for lang in LANGUAGES {
            assert!(!variants(lang).is_empty(), "{lang} has no table");
        }
        assert!(variants("xx").is_empty());
        assert!(variants("").is_empty());
    }

    #[test]
    fn property_labels_cover_the_model_exactly() {
        let labelled: Vec<_> = PROPERTY_LABELS.iter().map(|&(o, p, _)| (o, p)).collect();
        let model: Vec<_> = model_properties().collect();
        assert_eq!(labelled, model);
        assert!(PROPERTY_LABELS.iter().all(|&(_, _, label)| !label.trim().is_empty()));
    }

    #[test]
    fn tables_are_well_formed() {
        let known: HashSet<_> = model_properties().collect();
        for lang in LANGUAGES {
            let mut seen: HashMap<(&str, &str), &str> = HashMap::new();
            let mut exact = HashSet::new();
            for v in variants(lang) {
                assert!(!v.header.is_empty(), "{lang}: empty header for {}.{}", v.object, v.property);
                assert_eq!(v.header, normalize_header(v.header), "{lang}: {:?} is not normalized", v.header);
                assert!(
                    known.contains(&(v.object, v.property)),
                    "{lang}: unknown property {}.{}",
                    v.object,
                    v.property
                );
                assert!(exact.insert(*v), "{lang}: duplicate entry {v:?}");
                let first = *seen.entry((v.object, v.header)).or_insert(v.property);
                assert_eq!(
                    first, v.property,
                    "{lang}: {:?} maps to both {}.{first} and {}.{}",
                    v.header, v.object, v.object, v.property
                );
            }
        }
    }

    #[test]
    fn every_property_has_variants_in_every_language() {
        for lang in LANGUAGES {
            for (object, property) in model_properties() {
                assert!(
                    variants(lang).iter().any(|v| v.object == object && v.property == property),
                    "{lang}: no variant for {object}.{property}"
                );
            }
        }
    }

    #[test]
    fn english_knows_internal_names_and_labels() {
        for &(object, property, label) in PROPERTY_LABELS {
            assert_eq!(resolve("en", object, property), Some(property), "internal name {object}.{property}");
            assert_eq!(
                resolve("en", object, label),
                Some(property),
                "label {label:?} of {object}.{property}"
            );
        }
    }

    #[test]
    fn variant_is_plain_data() {
        let v = Variant { object: "contacts", property: "email", header: "email" };
        assert_eq!(variants("en").iter().find(|x| **x == v), Some(&v));
    }

    #[test]
    fn examples() {
        assert_maps("nl", "contacts", "firstname", &["Voornaam"]);
        assert_maps("da", "contacts", "firstname", &["Fornavn"]);
        assert_maps("nl", "contacts", "email", &["E-mailadres"]);
        assert_maps("de", "contacts", "lastname", &["Nachname"]);
        assert_maps("fr", "contacts", "firstname", &["Prénom"]);
        assert_maps("es", "contacts", "email", &["Correo electrónico"]);
    }

    #[test]
    fn same_word_differs_by_object() {
        assert_maps("en", "contacts", "company", &["Company", "Account Name", "Organization"]);
        assert_maps("en", "companies", "name", &["Company", "Account Name", "Name", "Organisation"]);
        assert_maps("nl", "contacts", "company", &["Bedrijf"]);
        assert_maps("nl", "companies", "name", &["Bedrijf", "Naam"]);
        assert_maps("da", "companies", "name", &["Navn"]);
        assert_maps("fr", "contacts", "lastname", &["Nom"]);
        assert_maps("fr", "companies", "name", &["Nom"]);
        assert_maps("es", "contacts", "firstname", &["Nombre"]);
        assert_maps("es", "companies", "name", &["Nombre"]);
        assert_maps("es", "tickets", "hs_pipeline_stage", &["Estado"]);
        assert_maps("es", "contacts", "state", &["Estado"]);
        assert_maps("en", "line_items", "hs_product_id", &["Product ID"]);
        assert_maps("en", "products", "hs_object_id", &["Product ID"]);
        assert_eq!(resolve("en", "contacts", "Name"), None);
        assert_eq!(resolve("fr", "contacts", "Nom de l'entreprise"), Some("company"));
    }

    #[test]
    fn english_spellings() {
        assert_maps("en", "contacts", "email", &["E-mail", "Email Address", "E-mail Address"]);
        assert_maps("en", "contacts", "firstname", &["Given Name", "First", "first_name"]);
        assert_maps("en", "contacts", "lastname", &["Surname", "Family Name", "Last"]);
        assert_maps("en", "contacts", "phone", &["Phone", "Telephone", "Tel"]);
        assert_maps("en", "contacts", "mobilephone", &["Mobile", "Cell"]);
        assert_maps("en", "contacts", "company", &["Organisation"]);
        assert_maps("en", "contacts", "jobtitle", &["Title", "Position"]);
        assert_maps("en", "contacts", "city", &["Town"]);
        assert_maps("en", "contacts", "zip", &["Zip", "Postcode", "ZIP Code"]);
        assert_maps("en", "contacts", "address", &["Street", "Address"]);
        assert_maps("en", "contacts", "website", &["Website", "URL", "Web"]);
        assert_maps("en", "contacts", "hs_object_id", &["Contact ID", "ID"]);
        assert_maps("en", "companies", "hs_object_id", &["Company ID", "ID"]);
        assert_maps("en", "companies", "domain", &["Domain"]);
        assert_maps("en", "companies", "numberofemployees", &["Employees"]);
        assert_maps("en", "companies", "annualrevenue", &["Revenue"]);
        assert_maps("en", "companies", "industry", &["Industry"]);
        assert_maps("en", "deals", "dealstage", &["Stage"]);
        assert_maps("en", "deals", "amount", &["Amount"]);
    }

    #[test]
    fn dutch_spellings() {
        let c = "contacts";
        assert_maps("nl", c, "firstname", &["Voornaam"]);
        assert_maps("nl", c, "lastname", &["Achternaam"]);
        assert_maps("nl", c, "email", &["E-mailadres", "E-mail adres"]);
        assert_maps("nl", c, "phone", &["Telefoonnummer"]);
        assert_maps("nl", c, "mobilephone", &["Mobiel"]);
        assert_maps("nl", c, "company", &["Bedrijf", "Bedrijfsnaam"]);
        assert_maps("nl", c, "jobtitle", &["Functie", "Functietitel"]);
        assert_maps("nl", c, "city", &["Plaats", "Woonplaats", "Stad"]);
        assert_maps("nl", c, "zip", &["Postcode"]);
        assert_maps("nl", c, "address", &["Adres", "Straat"]);
        assert_maps("nl", c, "country", &["Land"]);
        assert_maps("nl", c, "state", &["Provincie"]);
        assert_maps("nl", c, "lifecyclestage", &["Levenscyclusfase"]);
        assert_maps("nl", c, "website", &["Website"]);
    }

    #[test]
    fn danish_spellings() {
        let c = "contacts";
        assert_maps("da", c, "firstname", &["Fornavn"]);
        assert_maps("da", c, "lastname", &["Efternavn"]);
        assert_maps("da", c, "email", &["E-mail", "E-mailadresse"]);
        assert_maps("da", c, "phone", &["Telefon", "Telefonnummer"]);
        assert_maps("da", c, "mobilephone", &["Mobil"]);
        assert_maps("da", c, "company", &["Virksomhed", "Firma", "Firmanavn"]);
        assert_maps("da", c, "jobtitle", &["Stilling", "Jobtitel"]);
        assert_maps("da", c, "city", &["By"]);
        assert_maps("da", c, "zip", &["Postnummer"]);
        assert_maps("da", c, "address", &["Adresse"]);
        assert_maps("da", c, "country", &["Land"]);
        assert_maps("da", c, "state", &["Region"]);
        assert_maps("da", c, "lifecyclestage", &["Livscyklusfase"]);
    }

    #[test]
    fn german_spellings() {
        let c = "contacts";
        assert_maps("de", c, "firstname", &["Vorname"]);
        assert_maps("de", c, "lastname", &["Nachname", "Familienname"]);
        assert_maps("de", c, "email", &["E-Mail", "E-Mail-Adresse"]);
        assert_maps("de", c, "phone", &["Telefon", "Telefonnummer"]);
        assert_maps("de", c, "mobilephone", &["Handy", "Mobiltelefon"]);
        assert_maps("de", c, "company", &["Firma", "Unternehmen", "Firmenname"]);
        assert_maps("de", c, "jobtitle", &["Position", "Berufsbezeichnung"]);
        assert_maps("de", c, "city", &["Stadt", "Ort"]);
        assert_maps("de", c, "zip", &["PLZ", "Postleitzahl"]);
        assert_maps("de", c, "address", &["Straße", "Strasse", "Adresse"]);
        assert_maps("de", c, "country", &["Land"]);
        assert_maps("de", c, "state", &["Bundesland"]);
        assert_maps("de", c, "lifecyclestage", &["Lebenszyklusphase"]);
    }

    #[test]
    fn french_spellings() {
        let c = "contacts";
        assert_maps("fr", c, "firstname", &["Prénom", "Prenom"]);
        assert_maps("fr", c, "lastname", &["Nom", "Nom de famille"]);
        assert_maps("fr", c, "email", &["E-mail", "Adresse e-mail", "Courriel"]);
        assert_maps("fr", c, "phone", &["Téléphone", "Numéro de téléphone"]);
        assert_maps("fr", c, "mobilephone", &["Portable", "Mobile"]);
        assert_maps("fr", c, "company", &["Entreprise", "Société", "Nom de l'entreprise"]);
        assert_maps("fr", c, "jobtitle", &["Poste", "Intitulé du poste", "Fonction"]);
        assert_maps("fr", c, "city", &["Ville"]);
        assert_maps("fr", c, "zip", &["Code postal"]);
        assert_maps("fr", c, "address", &["Adresse"]);
        assert_maps("fr", c, "country", &["Pays"]);
        assert_maps("fr", c, "state", &["Région"]);
        assert_maps("fr", c, "lifecyclestage", &["Phase du cycle de vie"]);
    }

    #[test]
    fn spanish_spellings() {
        let c = "contacts";
        assert_maps("es", c, "firstname", &["Nombre"]);
        assert_maps("es", c, "lastname", &["Apellido", "Apellidos"]);
        assert_maps("es", c, "email", &["Correo electrónico", "Correo", "Email"]);
        assert_maps("es", c, "phone", &["Teléfono", "Número de teléfono"]);
        assert_maps("es", c, "mobilephone", &["Móvil", "Celular"]);
        assert_maps("es", c, "company", &["Empresa", "Nombre de la empresa", "Compañía"]);
        assert_maps("es", c, "jobtitle", &["Cargo", "Puesto"]);
        assert_maps("es", c, "city", &["Ciudad"]);
        assert_maps("es", c, "zip", &["Código postal"]);
        assert_maps("es", c, "address", &["Dirección"]);
        assert_maps("es", c, "country", &["País"]);
        assert_maps("es", c, "state", &["Provincia", "Estado/Región"]);
        assert_maps("es", c, "lifecyclestage", &["Etapa del ciclo de vida"]);
    }
}
