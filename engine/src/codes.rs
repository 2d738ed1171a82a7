//! Error codes and skip reasons (SPEC 4), as written to error and result files.

/// What went wrong with a row or a value. Codes are the names CRM users meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorCode {
    /// An email that is not an address.
    InvalidEmail,
    /// A domain that is not a host name.
    InvalidDomain,
    /// A record ID that is not a number or does not exist.
    InvalidRecordId,
    /// A unique value already owned by another record.
    DuplicateUniquePropertyValue,
    /// A row that would create a record lacks its required properties.
    MissingRequiredProperty,
    /// An update-only row without any identifier.
    MissingIdentifier,
    /// A row with more or fewer fields than the header.
    IncorrectNumberOfColumns,
    /// A number that does not parse in the number locale.
    CouldNotParseNumber,
    /// A date that does not parse in the date format.
    CouldNotParseDate,
    /// A value that is not a boolean.
    InvalidBoolean,
    /// A value that is none of the options.
    InvalidEnumerationOption,
    /// A value that names two different options.
    AmbiguousEnumerationOption,
    /// An owner cell that names no owner of the store (by ID, email or full name).
    CouldNotFindOwner,
    /// An owner cell holding a full name that several owners share.
    AmbiguousOwner,
    /// A lifecycle stage that would move the record's stage backward: kept as it
    /// was (a warning; `--allow-lifecycle-backward` takes it).
    LifecycleStageBackward,
    /// A value over 65,536 characters, or a field over the structural limit.
    ColumnTooLarge,
    /// Bytes that are not UTF-8 in a UTF-8 file.
    InvalidUtf8,
    /// A NUL byte inside a row.
    NulByte,
    /// A quote that never closes.
    UnterminatedQuote,
    /// A header with more columns than [`crate::input::decode::MAX_COLUMNS`].
    TooManyColumns,
    /// A header whose names are all blank (a line of delimiters).
    BlankHeader,
    /// An input without a header row (nothing but empty lines, or no bytes).
    EmptyFile,
    /// An association label that the object pair does not have (the link is made
    /// without it).
    AssociationLabelNotFound,
    /// A link past the object pair's limit of associations per record.
    AssociationLimitExceeded,
    /// An association column's value that matches no record.
    AssociationRecordNotFound,
    /// An association column's value (a name) that several records hold: no link.
    AmbiguousAssociationRecord,
    /// A record that must be associated with another (a line item with a deal, an
    /// activity of a multi-object import with a record) and is not.
    MissingRequiredAssociation,
    /// An email domain that several companies share: no link by domain.
    MultipleCompaniesWithThisDomain,
}

impl ErrorCode {
    /// The code as written in files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidEmail => "INVALID_EMAIL",
            Self::InvalidDomain => "INVALID_DOMAIN",
            Self::InvalidRecordId => "INVALID_RECORD_ID",
            Self::DuplicateUniquePropertyValue => "DUPLICATE_UNIQUE_PROPERTY_VALUE",
            Self::MissingRequiredProperty => "MISSING_REQUIRED_PROPERTY",
            Self::MissingIdentifier => "MISSING_IDENTIFIER",
            Self::IncorrectNumberOfColumns => "INCORRECT_NUMBER_OF_COLUMNS",
            Self::CouldNotParseNumber => "COULD_NOT_PARSE_NUMBER",
            Self::CouldNotParseDate => "COULD_NOT_PARSE_DATE",
            Self::InvalidBoolean => "INVALID_BOOLEAN",
            Self::InvalidEnumerationOption => "INVALID_ENUMERATION_OPTION",
            Self::AmbiguousEnumerationOption => "AMBIGUOUS_ENUMERATION_OPTION",
            Self::CouldNotFindOwner => "COULD_NOT_FIND_OWNER",
            Self::AmbiguousOwner => "AMBIGUOUS_OWNER",
            Self::LifecycleStageBackward => "LIFECYCLE_STAGE_BACKWARD",
            Self::ColumnTooLarge => "COLUMN_TOO_LARGE",
            Self::InvalidUtf8 => "INVALID_UTF8",
            Self::NulByte => "NUL_BYTE",
            Self::UnterminatedQuote => "UNTERMINATED_QUOTE",
            Self::TooManyColumns => "TOO_MANY_COLUMNS",
            Self::BlankHeader => "BLANK_HEADER",
            Self::EmptyFile => "EMPTY_FILE",
            Self::AssociationLabelNotFound => "ASSOCIATION_LABEL_NOT_FOUND",
            Self::AssociationLimitExceeded => "ASSOCIATION_LIMIT_EXCEEDED",
            Self::AssociationRecordNotFound => "ASSOCIATION_RECORD_NOT_FOUND",
            Self::AmbiguousAssociationRecord => "AMBIGUOUS_ASSOCIATION_RECORD",
            Self::MissingRequiredAssociation => "MISSING_REQUIRED_ASSOCIATION",
            Self::MultipleCompaniesWithThisDomain => "MULTIPLE_COMPANIES_WITH_THIS_DOMAIN",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a row was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// `create` mode and the record exists.
    CreateOnlyImport,
    /// `update` mode and no record matches.
    UpdateOnlyImport,
    /// The row matches an existing activity, and imports never update activities
    /// (calls aside).
    ActivityNotUpdatable,
}

impl SkipReason {
    /// The reason as written in the result file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateOnlyImport => "CREATE_ONLY_IMPORT",
            Self::UpdateOnlyImport => "UPDATE_ONLY_IMPORT",
            Self::ActivityNotUpdatable => "ACTIVITY_NOT_UPDATABLE",
        }
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
