// RFC 9420: one stable code per validation check, carried by MlsProtocolException.Code. Each member names
// the section whose rule it enforces. The names and numbers are a contract: callers and tests match them,
// the server may hand them to clients, so a check keeps its code, a new check gets a new number, and a
// retired code is never reused. The hundreds follow the RFC's sections (6xx framing, 7xx the tree, ...).
namespace Parley.Mls;

/// <summary>Which rule of RFC 9420 an input broke. See <see cref="MlsProtocolException.Code"/>.</summary>
public enum MlsError
{
    // ---- §5 Cryptographic objects ---------------------------------------------------------------

    /// <summary>§5.1: the cipher suite is not one Parley implements.</summary>
    CipherSuiteUnsupported = 501,

    /// <summary>§5.1.3 (RFC 9180 §7.1.1): a public key to encrypt to is not a valid key of the suite's KEM.</summary>
    HpkePublicKeyInvalid = 502,

    /// <summary>§5.1.3: an HPKE ciphertext or encapsulated key does not decrypt with the recipient's key.</summary>
    HpkeDecryptionFailed = 503,

    /// <summary>§5.3.1: the application's credential validator rejected a credential.</summary>
    CredentialRejected = 504,

    /// <summary>§5.1.3 (RFC 9180 §4, Nenc): an HPKE ciphertext's kem_output is not as long as the suite's KEM
    /// outputs (32 bytes for X25519, 1088 for ML-KEM-768, 1120 for X-Wing).</summary>
    HpkeKemOutputLength = 505,

    // ---- §6 Message framing ---------------------------------------------------------------------

    /// <summary>§6: the message's group_id is not this group's.</summary>
    WrongGroup = 601,

    /// <summary>§6: the message's epoch is not the group's current epoch (nor a retained past one for
    /// application messages, §15.3).</summary>
    WrongEpoch = 602,

    /// <summary>§6: this kind of sender may not send this kind of content (a new member may only commit or
    /// propose its own Add; an external sender only the proposals §12.1.8 allows).</summary>
    SenderNotAllowed = 603,

    /// <summary>§6: a member sender's leaf is blank or outside the tree.</summary>
    SenderNotMember = 604,

    /// <summary>§6.1: the FramedContent's signature does not verify under the sender's key.</summary>
    SignatureInvalid = 605,

    /// <summary>§6.2: application data sent as a PublicMessage; it must be a PrivateMessage.</summary>
    PublicApplicationData = 606,

    /// <summary>§6.2: a member's PublicMessage has a missing or wrong membership tag.</summary>
    MembershipTagInvalid = 607,

    /// <summary>§6.2: a non-member's PublicMessage carries a membership tag.</summary>
    MembershipTagUnexpected = 608,

    /// <summary>§6.3.2: the PrivateMessage's sender data does not decrypt.</summary>
    SenderDataUndecryptable = 609,

    /// <summary>§6.3.1: the PrivateMessage's content does not decrypt.</summary>
    ContentUndecryptable = 610,

    /// <summary>§6.3.1: the PrivateMessage's padding holds a non-zero byte.</summary>
    PaddingNonZero = 611,

    /// <summary>§6: the MLSMessage's wire format is not a group message, or a message decodes but its
    /// fields are inconsistent.</summary>
    MessageInvalid = 612,

    /// <summary>§6: the message is not a Welcome where a Welcome is required.</summary>
    NotAWelcome = 613,

    // ---- §7 Ratchet tree operations -------------------------------------------------------------

    /// <summary>§7.3: a leaf node's leaf_node_source is not the one its context requires.</summary>
    LeafNodeSourceWrong = 701,

    /// <summary>§7.3: a leaf node's encryption key is not a public key of the cipher suite.</summary>
    LeafNodeKeyInvalid = 702,

    /// <summary>§7.3: a leaf node's signature does not verify.</summary>
    LeafNodeSignatureInvalid = 703,

    /// <summary>§7.3: a key package's leaf node is outside its lifetime.</summary>
    LeafNodeLifetimeExpired = 704,

    /// <summary>§7.3 and §13.4: a leaf node's capabilities omit its own credential type, an extension it
    /// carries, the group's required capabilities or a group context extension in use.</summary>
    LeafNodeCapabilitiesInsufficient = 705,

    /// <summary>§7.3: a member's credential type is not supported by every other member.</summary>
    CredentialTypeNotSupportedByAll = 706,

    /// <summary>§7.3: an encryption key appears twice in the tree.</summary>
    EncryptionKeyNotUnique = 707,

    /// <summary>§7.3: a signature key appears twice in the tree.</summary>
    SignatureKeyNotUnique = 708,

    /// <summary>§7.6: an UpdatePath does not fit the sender's filtered direct path (sender outside the tree,
    /// wrong node count, wrong number of encrypted path secrets, key of the wrong length).</summary>
    UpdatePathInvalid = 709,

    /// <summary>§7.5: this member holds no private key to decrypt the path secret meant for it, or the path
    /// secret has the wrong length.</summary>
    PathSecretUnavailable = 710,

    /// <summary>§7.5: a public key in the UpdatePath (or the tree, for a Welcome's path secret) does not match
    /// the key derived from the path secret.</summary>
    PathSecretKeyMismatch = 711,

    /// <summary>§7.9.2: a parent node is not parent-hash valid through exactly one descendant, or the sender's
    /// leaf does not carry the parent hash of its UpdatePath.</summary>
    ParentHashInvalid = 712,

    /// <summary>§7.8 and §12.4.3.1: the ratchet tree does not match the GroupContext's tree hash.</summary>
    TreeHashMismatch = 713,

    /// <summary>§7: the ratchet tree has no members (a joiner checks the tree it is given, §12.4.3.1).</summary>
    TreeEmpty = 714,

    /// <summary>§7.9.2 and §12.4.3.1: a parent node's unmerged_leaves list is inconsistent (repeated, not
    /// below it, blank, or missing from a non-blank node between).</summary>
    UnmergedLeavesInvalid = 715,

    /// <summary>§7: a node expected to hold a key is blank, or this member's own leaf is blank.</summary>
    BlankNode = 716,

    /// <summary>§7.7: the tree would grow beyond the largest size Parley supports (2^30 leaves).</summary>
    TreeTooLarge = 717,

    // ---- §8 Key schedule ------------------------------------------------------------------------

    /// <summary>§8.3: an ExternalInit proposal's kem_output is invalid or of the wrong length.</summary>
    ExternalInitInvalid = 801,

    /// <summary>§8.4: a PSK the message names is not available to this member.</summary>
    PskUnavailable = 802,

    /// <summary>§8.4: a PSK's nonce is not KDF.Nh bytes long.</summary>
    PskNonceLength = 803,

    /// <summary>§8.4 and §12.2: a resumption PSK with usage reinit or branch appears outside the first Commit or
    /// Welcome of a reinitialized or branched group.</summary>
    PskUsageInvalid = 804,

    /// <summary>§8.4: more PSKs than a PSKLabel can count.</summary>
    PskCountTooLarge = 805,

    // ---- §9 Secret tree -------------------------------------------------------------------------

    /// <summary>§9: the sender's leaf is outside the secret tree.</summary>
    SecretTreeLeafOutside = 901,

    /// <summary>§9.2: the key for this generation was already used, evicted or deleted.</summary>
    GenerationUnavailable = 902,

    /// <summary>§9.2 and §15.3: the generation is further ahead than this member ratchets forward.</summary>
    GenerationTooFarAhead = 903,

    /// <summary>§9.1: a sender ratchet has used up every generation.</summary>
    RatchetExhausted = 904,

    // ---- §10 Key packages -----------------------------------------------------------------------

    /// <summary>§10.1: the key package's version or cipher suite is not the group's, or its capabilities do not
    /// list them.</summary>
    KeyPackageVersionOrSuite = 1001,

    /// <summary>§10.1: the key package's signature does not verify.</summary>
    KeyPackageSignatureInvalid = 1002,

    /// <summary>§10.1: the init key is not a public key of the suite, or equals the leaf's encryption key.</summary>
    KeyPackageInitKeyInvalid = 1003,

    /// <summary>§10.1: the key package carries an extension its capabilities do not list.</summary>
    KeyPackageExtensionUnsupported = 1004,

    /// <summary>§10: a private key given with a key package does not match the public key in it.</summary>
    KeyPackagePrivateKeyMismatch = 1005,

    // ---- §11 Group creation and linked groups ---------------------------------------------------

    /// <summary>§11.2: the group was not closed by a ReInit, so there is nothing to reinitialize or join.</summary>
    NoReInit = 1101,

    /// <summary>§11.2: the ReInit asks for a protocol version or cipher suite Parley does not implement.</summary>
    ReInitUnsupported = 1102,

    /// <summary>§11.2 and §11.3: the member sets of the old and the new group do not match as a reinitialization
    /// (every member kept) or a branch (members only) requires.</summary>
    LinkedMembersMismatch = 1103,

    /// <summary>§11.2 and §11.3: the new group's parameters differ from the ReInit proposal, or a branch changes
    /// the cipher suite, or its Welcome is not for epoch 1.</summary>
    LinkedParametersMismatch = 1104,

    /// <summary>§11.2 and §11.3: the Welcome's PSKs are not the one resumption PSK of the linked group's
    /// required usage, group and epoch.</summary>
    LinkedPskInvalid = 1105,

    /// <summary>§11.2 and §11.3: a Welcome leads into a linked group but was not joined through the old group,
    /// or was joined through a group it does not link to.</summary>
    WelcomeLinkMismatch = 1106,

    /// <summary>§11.2: the new group's creator is not the same client as in the old group.</summary>
    LinkedCreatorMismatch = 1107,

    // ---- §12 Group evolution --------------------------------------------------------------------

    /// <summary>§12.1.2 and §12.2: an Update proposal from a non-member sender, from the committer, or one that
    /// keeps the leaf's encryption key.</summary>
    UpdateInvalid = 1201,

    /// <summary>§12.2: an Update or Remove proposal for a leaf that is not a member.</summary>
    ProposalForNonMember = 1202,

    /// <summary>§12.2: several Update or Remove proposals for one leaf.</summary>
    ProposalsConflict = 1203,

    /// <summary>§12.2: a Commit removes the committer.</summary>
    RemoveOfCommitter = 1204,

    /// <summary>§12.2: the Commit names one PSK twice.</summary>
    PskDuplicate = 1205,

    /// <summary>§12.1.5: a ReInit proposal lowers the protocol version.</summary>
    ReInitLowersVersion = 1206,

    /// <summary>§12.2: the Commit's proposal list breaks a composition rule (ExternalInit outside an external
    /// Commit, more than one GroupContextExtensions, a ReInit with other proposals, an ExternalInit sent
    /// on its own).</summary>
    ProposalListInvalid = 1207,

    /// <summary>§12.2 and §12.4.3.2: an external Commit's proposals break its rules (exactly one ExternalInit,
    /// at most one Remove, only of the joiner's own earlier leaf, no other types, none by reference).</summary>
    ExternalCommitProposalsInvalid = 1208,

    /// <summary>§12.1.8: the external sender index is not in the group's external_senders extension.</summary>
    ExternalSenderUnknown = 1209,

    /// <summary>§12.4.2: the Commit has no confirmation tag, or its confirmation tag is wrong.</summary>
    ConfirmationTagInvalid = 1210,

    /// <summary>§12.4.2: the Commit refers to a proposal this member has not received in this epoch.</summary>
    ProposalNotReceived = 1211,

    /// <summary>§12.4.2 and §12.4.3.2: the Commit needs a path (by its proposals, or because it is external)
    /// but has none.</summary>
    CommitPathRequired = 1212,

    /// <summary>§12.4.2: this member's own Commit came back but is not its pending Commit, or applies an
    /// Update of this member whose private key is not held.</summary>
    OwnCommitUnknown = 1213,

    /// <summary>§12.4.2 and §11.2: this member was removed, or the group was closed by a ReInit: it can no
    /// longer send or process messages.</summary>
    GroupInactive = 1214,

    /// <summary>§12.4.3.1: the Welcome's cipher suite differs from the key package's, or holds no group secrets
    /// for the key package.</summary>
    WelcomeNotForKeyPackage = 1215,

    /// <summary>§12.4.3.1: the Welcome's GroupSecrets or GroupInfo do not decrypt or are malformed.</summary>
    WelcomeUndecryptable = 1216,

    /// <summary>§12.4.3.1: the GroupInfo's signer is not a member, or its signature does not verify.</summary>
    GroupInfoSignatureInvalid = 1217,

    /// <summary>§12.4.3.1: the GroupInfo's confirmation tag does not match the joined epoch.</summary>
    GroupInfoConfirmationTagInvalid = 1218,

    /// <summary>§12.4.3.1: the tree has no leaf for the joining key package.</summary>
    WelcomeNoOwnLeaf = 1219,

    /// <summary>§12.4.3.1: the Welcome's path_secret is for the committer's own leaf or off its filtered direct
    /// path.</summary>
    WelcomePathSecretInvalid = 1220,

    /// <summary>§12.4.3.3: the ratchet_tree extension is malformed, or there is no tree at all.</summary>
    RatchetTreeMissing = 1221,

    /// <summary>§12.4.3.2: the GroupInfo has no external_pub extension, so the group does not accept external
    /// joins.</summary>
    ExternalJoinNotAllowed = 1222,

    // ---- §13 Extensibility ----------------------------------------------------------------------

    /// <summary>§13.4: a group context extension is malformed, or one that belongs in a GroupInfo
    /// (ratchet_tree, external_pub) is in the group context.</summary>
    GroupContextExtensionInvalid = 1301,
}
