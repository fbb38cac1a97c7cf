@channels @channels_3 @channels_5 @emulator_only
Feature: A notification the merchant could not confirm with Cryptopay is not lost
  Proves, in Cryptopay's words:
  - Channels item 3: Make sure you have received the callbacks and processed them correctly on your side
  - Channels item 5: Make sure that you credit the funds to the customer's balance when the payment status is updated to completed
  The merchant confirms every notification by asking Cryptopay for the payment's status. When Cryptopay cannot
  answer that once, the merchant must not acknowledge the notification as handled: it answers with a failure,
  so that Cryptopay sends it again, and credits the payment when the retry comes (or finds the status again by
  itself). A notification acknowledged but never acted on is lost for good.
  Emulator only: the sandbox cannot make its answers fail on purpose.

  Scenario: A payment whose status check failed once is still credited
    Given a new customer
    And the customer has a personal address to deposit crypto, credited in EUR
    And the customer has sent a payment to their deposit address that the network has not yet confirmed
    And the merchant has recorded the payment as pending
    And Cryptopay will fail the merchant's status check of the payment once while it handles the "completed" notification
    And the network has confirmed the payment
    And the merchant has answered that notification
    When Cryptopay's first retry falls due
    Then the merchant records the payment as completed
    And the customer has been credited the declared amount of the payment
