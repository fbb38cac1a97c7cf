@channels @channels_3 @channels_5 @emulator_only
Feature: A held payment the monitoring team releases is credited once
  Proves, in Cryptopay's words:
  - Channels item 3: Make sure you have received the callbacks and processed them correctly on your side
  - Channels item 5: Make sure that you credit the funds to the customer's balance when the payment status is updated to completed
  A payment put on hold is not over: when Cryptopay's monitoring team finds it legitimate, it completes, and the
  merchant credits it then, once. A merchant that takes the hold for the end of the payment never credits it.
  Emulator only: the sandbox cannot hold a payment, nor decide one.

  Scenario: A held payment the monitoring team releases is credited once
    Given a new customer
    And the customer has a personal address to deposit crypto, credited in EUR
    And the customer has sent a payment to their deposit address from a high-risk source
    And the merchant has acknowledged Cryptopay's notification of the hold
    When Cryptopay's monitoring team decides the held payment is legitimate
    Then Cryptopay sent the merchant the "on hold" and "completed" notifications of the payment, and each was acknowledged
    And the customer has been credited the declared amount of the payment
