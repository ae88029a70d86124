namespace Parley.Client;

/// <summary>A request the client cannot carry out, with a sentence a person can act on
/// (<c>No conversation is named x.</c>). The sentence names no command of any front end: <see cref="Code"/> and
/// <see cref="Subject"/> let the CLI or the web app add its own way to the next step.</summary>
public sealed class ParleyClientException : Exception
{
    public ParleyClientException()
    {
    }

    public ParleyClientException(string message) : base(message)
    {
    }

    public ParleyClientException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public ParleyClientException(ClientError code, string? subject, string message, Exception? innerException = null,
        string? detail = null)
        : base(message, innerException)
    {
        Code = code;
        Subject = subject;
        Detail = detail;
    }

    /// <summary>What kind of refusal this is; <see cref="ClientError.Unspecified"/> when the sentence says all there is.</summary>
    public ClientError Code { get; }

    /// <summary>The name the refusal is about (a conversation, channel or contact), as the request gave it or as the
    /// client displays it; null when there is none.</summary>
    public string? Subject { get; }

    /// <summary>A second name the refusal involves (an invite, request, device or message id, this account's username, or
    /// how the home was to be filled: "create" or "link"); null when there is none.</summary>
    public string? Detail { get; }
}

/// <summary>The refusals of <see cref="ParleyClient"/> a front end may want to follow with a next step of its own.</summary>
public enum ClientError
{
    /// <summary>No code: the message says all there is.</summary>
    Unspecified = 0,

    /// <summary>The home holds no account yet (create one, or link this device to an account).</summary>
    NoAccount,

    /// <summary>The home already holds an account; creating or linking needs another home.</summary>
    HomeHasAccount,

    /// <summary>No conversation has the name <see cref="ParleyClientException.Subject"/>.</summary>
    ConversationNotFound,

    /// <summary>Several groups have the name <see cref="ParleyClientException.Subject"/>; give an id instead.</summary>
    ConversationNameAmbiguous,

    /// <summary>Several conversations have ids starting with <see cref="ParleyClientException.Subject"/>.</summary>
    ConversationIdAmbiguous,

    /// <summary>This device is in no private channel named <see cref="ParleyClientException.Subject"/>.</summary>
    ChannelNotFound,

    /// <summary>Several private channels have the name <see cref="ParleyClientException.Subject"/>; give an id instead.</summary>
    ChannelNameAmbiguous,

    /// <summary>The channel <see cref="ParleyClientException.Subject"/> has no such invite.</summary>
    InviteNotFound,

    /// <summary>The channel <see cref="ParleyClientException.Subject"/> has no such pending join request.</summary>
    JoinRequestNotFound,

    /// <summary>An admin tried to remove themself as admin of <see cref="ParleyClientException.Subject"/>; another admin
    /// must.</summary>
    AdminRemovesSelf,

    /// <summary>An admin tried to leave the channel <see cref="ParleyClientException.Subject"/>; another admin must
    /// remove them as admin first.</summary>
    AdminLeaves,

    /// <summary>Members were to be added to or removed from the channel <see cref="ParleyClientException.Subject"/> as in
    /// a group; channels take people by invite and change admins on their own.</summary>
    ChannelMembersByInvite,

    /// <summary>There is no public channel named <see cref="ParleyClientException.Subject"/>.</summary>
    PublicChannelNotFound,

    /// <summary><see cref="ParleyClientException.Subject"/> is not a valid public channel name.</summary>
    PublicChannelNameInvalid,

    /// <summary>A post id for the public channel <see cref="ParleyClientException.Subject"/> is not a valid post id.</summary>
    PostIdInvalid,

    /// <summary>The account has no device <see cref="ParleyClientException.Detail"/>.</summary>
    DeviceNotFound,

    /// <summary>There is no such message in the conversation <see cref="ParleyClientException.Subject"/> (null: the
    /// conversation asked about).</summary>
    MessageNotFound,

    /// <summary>Only one's own messages can be edited or deleted for everyone; any message can be deleted on this
    /// device only.</summary>
    NotOwnMessage,

    /// <summary>There is no operator key file at <see cref="ParleyClientException.Subject"/>.</summary>
    OperatorKeyMissing,

    /// <summary><see cref="ParleyClientException.Subject"/> is not a contact yet; look up their safety number first.</summary>
    NotAContact,
}
