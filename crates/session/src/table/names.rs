//! The closed vocabularies a state table may use. The YAML names them; Rust implements them.
//! A name the table declares but Rust does not know (or the other way round) is a load error,
//! so the table can never describe behaviour that no code performs.

/// Declares a fieldless enum whose variants are the table's names, with the lookup both ways.
macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        // Variants without a doc line are named for what they mean; the YAML rows that use
        // them are their documentation.
        #[allow(missing_docs)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The variant the table spells `name`, if Rust implements it.
            pub fn from_name(name: &str) -> Option<$name> {
                match name {
                    $(stringify!($variant) => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// How the table spells it.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($variant),)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

names! {
    /// Which lifecycle a state machine instance follows: one per account (registration,
    /// publication, inbound), one per buddy (subscription), one per call.
    Role { Registration, Publication, Subscription, Call, Message, Inbound }
}

names! {
    /// Every state of every role; the table says which role owns which.
    State {
        Unregistered, Registering, Registered, Refreshing, Unregistering, RegistrationFailed,
        Recovering,
        Unpublished, Publishing, Published, Unpublishing, PublishRetrying,
        Unsubscribed, Subscribing, SubscriptionPending, Subscribed, Unsubscribing,
        SubscriptionRetrying,
        Idle, Calling, Ringing, EarlyMedia, Incoming, Active, Held, Ending, Ended,
        MessageQueued, MessageSending, MessageDelivered, MessageStored, MessageFailed,
        Listening,
    }
}

names! {
    /// What can happen to a machine: user commands, protocol outcomes and timers.
    Event {
        Register, Unregister, RegistrationSuccess, RegistrationFailure, AuthChallenge,
        IntervalTooBrief, RegistrationExpiring, RegistrationRefresh, RetryTimer, KeepAliveLost,
        RegistrationLost,
        PublishPresence, PublishSuccess, PublishFailure, PublicationExpiring, Unpublish,
        SubscribePresence, UnsubscribePresence, PresenceNotify, PendingNotify,
        SubscriptionTimer, SubscriptionTerminated,
        MakeCall, IncomingCall, RemoteRinging, RemoteEarly, CallAnswered, CallFailed, Accept,
        Reject, Hangup, RemoteHangup, RemoteCancelled, Hold, Resume, RemoteReinvite,
        ReinviteFailed, ByeAnswered, AckTimeout,
        SendMessage, FlushOutbox, DeliveryConfirmed, DeliveryDeferred, DeliveryFailure,
        DialogREGISTER, DialogSUBSCRIBE, DialogNOTIFY, DialogPUBLISH, DialogMESSAGE,
        DialogOPTIONS, DialogINFO, DialogUPDATE,
    }
}

names! {
    /// Conditions the driver evaluates when an event comes; `!Name` in the table negates one.
    Guard {
        /// The account has a password or token to answer a challenge with.
        HasAuthentication,
        /// The account's registration is in force.
        IsRegistered,
        /// The failure at hand is worth retrying (timeout, 408, 5xx, transport).
        CanRetry,
        /// The subscription at hand has a dialog (so a NOTIFY belongs to it).
        HasActiveSubscription,
        /// Own status is do-not-disturb.
        DoNotDisturb,
        /// Incoming calls are answered without asking.
        AutoAnswer,
        /// The request at hand belongs to a dialog we know.
        InKnownDialog,
    }
}

names! {
    /// What the driver does, in the order listed on the transition.
    Action {
        SendRegister, AnswerChallenge, SendUnregister, ScheduleRefresh, CancelRefresh,
        ScheduleRetry, CancelRetry, ResetBackoff, StartUsages, SuspendUsages,
        SendPublish, RefreshPublication, SendUnpublish, DropPublication,
        SendSubscribe, HandleSubscriptionTimer, SendUnsubscribe, DropSubscription,
        SendInvite, SendCancel, SendAck, SendByeAfterAck, SendRinging, SendAnswer,
        SendDndReject, SendReject, AnswerCancelled, SendBye, AnswerBye, SendHold, SendResume, AnswerReinvite,
        EnterCallPresence, LeaveCallPresence,
        SendMessageRequest, RecordDelivery,
        AcceptMessage, AnswerOptions, AnswerInfo, RejectNotAllowed, RejectNoDialog,
        RouteNotify,
    }
}

names! {
    /// What the outside (UI, CLI) is told when a transition is taken.
    Effect {
        ReportRegistered, ReportRegistrationFailed, ReportRegistrationLost, ReportUnregistered,
        ReportPresence, ReportPresenceLost, ReportWatchPending, ReportPublishFailed,
        ReportCalling, ReportRinging, ReportEarly, ReportIncoming, ReportActive, ReportHeld,
        ReportEnded, ReportMessageStatus,
    }
}
